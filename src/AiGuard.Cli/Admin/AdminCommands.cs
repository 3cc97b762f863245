using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AiGuard.Admin;
using AiGuard.Identity;
using Spectre.Console;

namespace AiGuard.Cli.Admin;

/// <summary>
/// <c>aiguard status</c>, <c>aiguard quarantine</c>, <c>aiguard config check</c> and
/// <c>aiguard admin-key create</c>: the admin API from the command line (docs/admin-api.md).
/// </summary>
internal static class AdminCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Adds the admin commands to the root command.</summary>
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(StatusCommand());
        root.Subcommands.Add(QuarantineCommand());
        root.Subcommands.Add(ConfigCommand());
        root.Subcommands.Add(AdminKeyCommand());
    }

    private sealed record Common(Option<string?> Url, Option<string?> KeyFile, Option<bool> Json);

    private static Common AddCommon(Command command)
    {
        var url = new Option<string?>("--admin-url") { Description = $"The gateway's admin API (default: ${AdminClient.UrlVariable}, else {AdminClient.DefaultUrl})." };
        var keyFile = new Option<string?>("--admin-key-file") { Description = $"A file holding the admin key (default: ${AdminClient.KeyFileVariable}, else the key in ${AdminClient.KeyVariable})." };
        var json = new Option<bool>("--json") { Description = "Print the admin API's JSON answer instead of tables (for scripts)." };
        command.Options.Add(url);
        command.Options.Add(keyFile);
        command.Options.Add(json);
        return new Common(url, keyFile, json);
    }

    private static Command StatusCommand()
    {
        var client = new Argument<string?>("CLIENT") { Description = "A client id: its limits left, anomaly score and reasons, quarantine. Without it: the gateway's readiness and quarantines.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("status", "Show a running gateway's readiness, or one client's status.") { client };
        var common = AddCommon(command);
        command.SetAction((parse, _) => RunAsync(parse, common, async (admin, json) =>
        {
            var id = parse.GetValue(client);
            if (id is null)
            {
                var ready = await admin.GetAsync("readyz", HttpStatusCode.ServiceUnavailable);
                var list = await admin.GetAsync("admin/v1/quarantine");
                if (json)
                {
                    Print(new Dictionary<string, JsonElement> { ["readiness"] = ready.Body, ["quarantine"] = list.Body });
                }
                else
                {
                    ShowReadiness(ready.Body);
                    ShowQuarantine(list.Body);
                }

                return ready.Status == HttpStatusCode.OK ? AdminExit.Ok : AdminExit.Invalid;
            }

            var answer = await admin.GetAsync("admin/v1/clients/" + Uri.EscapeDataString(id));
            if (json)
            {
                Print(answer.Body);
            }
            else
            {
                ShowClient(answer.Body);
            }

            return AdminExit.Ok;
        }));
        return command;
    }

    private static Command QuarantineCommand()
    {
        var quarantine = new Command("quarantine", "List, add and remove quarantined clients of a running gateway (every replica, through Redis when configured).");

        var list = new Command("list", "List the quarantines in force.");
        var listCommon = AddCommon(list);
        list.SetAction((parse, _) => RunAsync(parse, listCommon, async (admin, json) =>
        {
            var answer = await admin.GetAsync("admin/v1/quarantine");
            if (json)
            {
                Print(answer.Body);
            }
            else
            {
                ShowQuarantine(answer.Body);
            }

            return AdminExit.Ok;
        }));

        var addClient = new Argument<string>("CLIENT") { Description = "The client id to quarantine (an unauthenticated client is address:<ip>)." };
        var duration = new Option<string>("--for") { Description = "How long: 90s, 15m, 2h, 7d, 1h30m (at most 365d).", Required = true };
        var reason = new Option<string?>("--reason") { Description = "Why (audited with the change)." };
        var add = new Command("add", "Quarantine a client on every route until the duration runs out (audited).") { addClient, duration, reason };
        var addCommon = AddCommon(add);
        add.SetAction((parse, _) => RunAsync(parse, addCommon, async (admin, json) =>
        {
            var body = JsonSerializer.Serialize(new { @for = parse.GetValue(duration), reason = parse.GetValue(reason) });
            var answer = await admin.SendAsync(HttpMethod.Put, "admin/v1/quarantine/" + Uri.EscapeDataString(parse.GetValue(addClient)!), new StringContent(body, Encoding.UTF8, "application/json"));
            return ShowChange(answer.Body, json);
        }));

        var removeClient = new Argument<string>("CLIENT") { Description = "The client id whose quarantine to lift." };
        var remove = new Command("remove", "Lift a client's quarantine on every replica (audited).") { removeClient };
        var removeCommon = AddCommon(remove);
        remove.SetAction((parse, _) => RunAsync(parse, removeCommon, async (admin, json) =>
        {
            var answer = await admin.SendAsync(HttpMethod.Delete, "admin/v1/quarantine/" + Uri.EscapeDataString(parse.GetValue(removeClient)!), null);
            return ShowChange(answer.Body, json);
        }));

        quarantine.Subcommands.Add(list);
        quarantine.Subcommands.Add(add);
        quarantine.Subcommands.Add(remove);
        return quarantine;
    }

    private static Command ConfigCommand()
    {
        var config = new Command("config", "Check settings files against a running gateway.");
        var file = new Argument<string>("FILE") { Description = "The proposed appsettings JSON file." };
        var offline = new Option<bool>("--offline") { Description = "Check the file alone, here, without a gateway (no environment variables or other settings layered in)." };
        var check = new Command("check", "Validate a proposed settings file exactly as the gateway's reload would (exit 1 when it would be refused).") { file, offline };
        var common = AddCommon(check);
        check.SetAction((parse, _) =>
        {
            var path = parse.GetValue(file)!;
            var json = parse.GetValue(common.Json);
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: cannot read '{path}': {e.Message}");
                return Task.FromResult(AdminExit.Usage);
            }

            if (parse.GetValue(offline))
            {
                return Task.FromResult(OfflineCheck(bytes, json));
            }

            return RunAsync(parse, common, async (admin, _) =>
            {
                var answer = await admin.SendAsync(HttpMethod.Post, "admin/v1/config/check", new ByteArrayContent(bytes) { Headers = { ContentType = new("application/json") } });
                return ShowCheck(answer.Body, json);
            });
        });
        config.Subcommands.Add(check);
        return config;
    }

    private static int OfflineCheck(byte[] bytes, bool json)
    {
        var result = OfflineConfigurationCheck.Run(bytes, out var problem);
        if (result is null)
        {
            Console.Error.WriteLine($"error: {problem}");
            return AdminExit.Invalid;
        }

        return ShowCheck(JsonSerializer.SerializeToElement(new ConfigurationCheckReport(result.Valid, result.Errors, result.Warnings, result.Placement), new JsonSerializerOptions(JsonSerializerDefaults.Web)), json);
    }

    private static Command AdminKeyCommand()
    {
        var name = new Option<string>("--name") { Description = "Who holds the key (audited as admin:NAME).", Required = true };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry (ISO 8601), for example 2027-01-31T00:00:00Z." };
        var prefix = new Option<string>("--prefix") { Description = "Admin key prefix (AiGuard:Admin:KeyPrefix).", DefaultValueFactory = _ => "aga" };
        var create = new Command("create", "Create an admin key: prints it once, and the entry to paste into AiGuard:Admin:Keys.") { name, expires, prefix };
        create.SetAction(parse =>
        {
            GeneratedApiKey generated;
            try
            {
                generated = ApiKeyFormat.Generate(parse.GetValue(prefix)!);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return AdminExit.Usage;
            }

            var entry = new AdminKeyEntry { Id = generated.Id, Hash = generated.Hash, Name = parse.GetValue(name), ExpiresAt = parse.GetValue(expires) };
            Console.WriteLine("Admin key (shown once; AiGuard keeps only its hash). Give it to the operator, e.g. as AIGUARD_ADMIN_KEY:");
            Console.WriteLine();
            Console.WriteLine($"  {generated.Key}");
            Console.WriteLine();
            Console.WriteLine("Add this entry to AiGuard:Admin:Keys:");
            Console.WriteLine();
            Console.WriteLine(JsonSerializer.Serialize(entry, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
            return AdminExit.Ok;
        });
        var command = new Command("admin-key", "Manage admin API keys.");
        command.Subcommands.Add(create);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Common common, Func<AdminClient, bool, Task<int>> action)
    {
        var json = parse.GetValue(common.Json);
        if (Console.IsOutputRedirected)
        {
            // Piped to a file or another program: no terminal width to wrap table cells at.
            AnsiConsole.Profile.Width = 240;
        }

        try
        {
            using var admin = AdminClient.Create(parse.GetValue(common.Url), parse.GetValue(common.KeyFile));
            return await action(admin, json);
        }
        catch (AdminCliException e)
        {
            if (json && e.Json is not null)
            {
                Console.WriteLine(e.Json);
            }

            Console.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
    }

    private static void Print<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Indented));

    private static string S(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Null or JsonValueKind.Undefined => string.Empty,
            _ => v.GetRawText(),
        } : string.Empty;

    private static IEnumerable<JsonElement> Items(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    private static void ShowReadiness(JsonElement body)
    {
        var table = new Table().Title($"Gateway: {Markup.Escape(S(body, "status"))}").AddColumns("check", "ok", "detail");
        foreach (var check in Items(body, "checks"))
        {
            table.AddRow(Markup.Escape(S(check, "name")), S(check, "ok") == "true" ? "[green]yes[/]" : "[red]no[/]", Markup.Escape(S(check, "detail")));
        }

        AnsiConsole.Write(table);
    }

    private static void ShowQuarantine(JsonElement body)
    {
        var entries = Items(body, "quarantines").ToList();
        var shared = S(body, "sharedThroughRedis") == "true" ? "shared through Redis" : "this replica only";
        if (entries.Count == 0)
        {
            AnsiConsole.WriteLine($"No client is quarantined ({shared}).");
            return;
        }

        var table = new Table().Title($"Quarantined clients ({shared})").AddColumns("client", "until (UTC)", "left", "reason");
        foreach (var entry in entries)
        {
            table.AddRow(Markup.Escape(S(entry, "client")), Markup.Escape(Until(S(entry, "until"))), AdminDuration.Format(TimeSpan.FromSeconds(long.Parse(S(entry, "secondsLeft"), CultureInfo.InvariantCulture))), Markup.Escape(S(entry, "reason")));
        }

        AnsiConsole.Write(table);
    }

    private static void ShowClient(JsonElement body)
    {
        var table = new Table().Title($"Client {Markup.Escape(S(body, "client"))}").AddColumns("", "").HideHeaders();
        table.AddRow("keys", Markup.Escape(string.Join(", ", Items(body, "keyIds").Select(k => k.GetString()))));
        table.AddRow("tenant", Markup.Escape(S(body, "tenant")));
        var quarantine = body.TryGetProperty("quarantine", out var q) && q.ValueKind == JsonValueKind.Object;
        table.AddRow("quarantine", quarantine ? $"[red]until {Markup.Escape(Until(S(q, "until")))}[/] ({Markup.Escape(S(q, "reason"))})" : "no");
        if (body.TryGetProperty("anomaly", out var a) && a.ValueKind == JsonValueKind.Object)
        {
            table.AddRow("anomaly score", $"{S(a, "score")} (latest {S(a, "lastScore")}, {S(a, "requests")} requests)");
            table.AddRow("anomaly action", Markup.Escape(S(a, "action")));
            table.AddRow("anomaly reasons", Markup.Escape(S(a, "reasons") is { Length: > 0 } r ? r : "-"));
        }
        else
        {
            table.AddRow("anomaly", "not tracked (no request on a watched route yet)");
        }

        AnsiConsole.Write(table);
        var limits = Items(body, "limits").ToList();
        if (limits.Count == 0)
        {
            AnsiConsole.WriteLine("No rate limit or token budget applies to this client's routes.");
            return;
        }

        var table2 = new Table().Title("Limits left").AddColumns("kind", "name", "route", "window", "limit", "remaining");
        foreach (var limit in limits)
        {
            var remaining = S(limit, "remaining");
            table2.AddRow(S(limit, "kind"), Markup.Escape(S(limit, "name")), Markup.Escape(S(limit, "route") is { Length: > 0 } route ? route : "all"), Markup.Escape(S(limit, "window")), S(limit, "limit"),
                remaining.Length > 0 ? remaining : S(limit, "shared") == "true" ? "in Redis" : "unknown");
        }

        AnsiConsole.Write(table2);
    }

    private static int ShowChange(JsonElement body, bool json)
    {
        if (json)
        {
            Print(body);
            return AdminExit.Ok;
        }

        var action = S(body, "action");
        AnsiConsole.WriteLine(action switch
        {
            "added" => $"Quarantined {S(body, "client")} until {Until(S(body, "until"))}. Incident {S(body, "incidentId")}.",
            "kept" => $"{S(body, "client")} stays quarantined until {Until(S(body, "until"))}: the quarantine in force outlasts the one asked. Incident {S(body, "incidentId")}.",
            _ => $"Lifted the quarantine of {S(body, "client")}. Incident {S(body, "incidentId")}.",
        });
        return AdminExit.Ok;
    }

    private static int ShowCheck(JsonElement body, bool json)
    {
        var valid = S(body, "valid") == "true";
        if (json)
        {
            Print(body);
            return valid ? AdminExit.Ok : AdminExit.Invalid;
        }

        var errors = Items(body, "errors").Select(e => e.GetString() ?? string.Empty).ToList();
        var warnings = Items(body, "warnings").Select(e => e.GetString() ?? string.Empty).ToList();
        AnsiConsole.WriteLine(valid ? "The configuration is valid: a reload would apply it." : $"The configuration would be refused ({errors.Count} problems):");
        AnsiConsole.WriteLine($"(checked {S(body, "placement")})");
        if (errors.Count + warnings.Count > 0)
        {
            var table = new Table().AddColumns("", "problem");
            foreach (var error in errors)
            {
                table.AddRow("[red]error[/]", Markup.Escape(error));
            }

            foreach (var warning in warnings)
            {
                table.AddRow("[yellow]warning[/]", Markup.Escape(warning));
            }

            AnsiConsole.Write(table);
        }

        return valid ? AdminExit.Ok : AdminExit.Invalid;
    }

    private static string Until(string iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : iso;
}
