using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace AiGuard.Cli.RedTeam;

/// <summary>
/// <c>aiguard redteam</c>: fires the red-team suite at a running gateway and reports, by category,
/// what got through. Exit codes: 0 nothing got through, 1 something got through, 2 bad arguments,
/// 3 the run could not start (unreachable target, key refused), 4 nothing got through but the
/// gateway failed (5xx or dropped connections), 5 inconclusive (probes throttled before their
/// check, or not run for the budget).
/// </summary>
internal static class RedTeamCommand
{
    /// <summary>Read when <c>--key</c> is not given, so the key need not appear in the process list.</summary>
    public const string KeyVariable = "AIGUARD_REDTEAM_KEY";

    private const string Name = "aiguard redteam";

    public static Command Create()
    {
        var defaults = new RedTeamSettings { Target = new Uri("http://127.0.0.1:8080/"), Key = "" };
        // Values are read as text and checked here, so every bad value gets one clear line and exit code 2.
        var target = new Option<string>("--target") { Description = "The gateway's base URL, for example http://127.0.0.1:8080" };
        var key = new Option<string>("--key") { Description = $"An API key of the gateway (or set {KeyVariable}); never printed" };
        var only = new Option<string>("--only") { Description = "Run only these categories, comma-separated: " + string.Join(", ", RedTeamSuite.CategoryNames) };
        var skip = new Option<string>("--skip") { Description = "Skip these categories, comma-separated" };
        var chatPath = new Option<string>("--chat-path") { Description = $"Path of the OpenAI chat route (default {defaults.ChatPath})" };
        var model = new Option<string>("--model") { Description = $"Chat model the probes name (default {defaults.ChatModel})" };
        var oipModel = new Option<string>("--oip-model") { Description = $"Open Inference v2 model, /v2/models/<name>/infer (default {defaults.OipModel})" };
        var tfModel = new Option<string>("--tf-model") { Description = $"TF-Serving model, /v1/models/<name>:predict (default {defaults.TfModel})" };
        var maxRequests = new Option<string>("--max-requests") { Description = $"Requests the whole run may send (default {defaults.MaxRequests})" };
        var timeLimit = new Option<string>("--time-limit") { Description = $"Seconds the whole run may take (default {defaults.TimeLimit.TotalSeconds})" };
        var requestTimeout = new Option<string>("--request-timeout") { Description = $"Seconds to wait for one answer (default {defaults.RequestTimeout.TotalSeconds})" };
        var anomalyQueries = new Option<string>("--anomaly-queries") { Description = $"Requests of each anomaly-simulator run (default {defaults.AnomalyQueries})" };
        var floodRequests = new Option<string>("--flood-requests") { Description = $"Requests of each flood at most (default {defaults.FloodRequests})" };
        var seed = new Option<string>("--seed") { Description = $"Seed of the generated values and simulators (default {defaults.Seed})" };
        var accept = new Option<string>("--accept") { Description = "Known gaps, comma-separated category/name: reported when they get through, but not failing the run" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (progress goes to stderr)" };
        var command = new Command("redteam", "Fire a bounded suite of attacks at a running gateway and report what got through, by category")
        {
            target, key, only, skip, chatPath, model, oipModel, tfModel, maxRequests, timeLimit, requestTimeout, anomalyQueries, floodRequests, seed, accept, json,
        };
        // A missing value is our error to report (exit code 2), not the parser's (exit code 1, which means "got through" here).
        foreach (var option in command.Options.OfType<Option<string>>())
        {
            option.Arity = ArgumentArity.ZeroOrOne;
        }

        // Whatever else is on the line lands here, hidden, and is reported as unknown.
        var rest = new Argument<string[]>("rest") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        command.Arguments.Add(rest);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(rest) is [var first, ..])
            {
                return Usage($"unknown argument '{first}'; see 'aiguard redteam --help'.");
            }

            var problems = command.Options.OfType<Option<string>>()
                .Where(o => parse.GetResult(o) is { Implicit: false, Tokens.Count: 0 })
                .Select(o => $"{o.Name} needs a value.")
                .ToList();
            var settings = Settings(
                problems,
                parse.GetValue(target),
                parse.GetValue(key) ?? Environment.GetEnvironmentVariable(KeyVariable),
                Categories(problems, parse.GetValue(only), parse.GetValue(skip)),
                defaults with
                {
                    Accepted = Accepted(problems, parse.GetValue(accept)),
                    ChatPath = Path(problems, "--chat-path", parse.GetValue(chatPath) ?? defaults.ChatPath),
                    ChatModel = Text(problems, "--model", parse.GetValue(model) ?? defaults.ChatModel),
                    OipModel = Text(problems, "--oip-model", parse.GetValue(oipModel) ?? defaults.OipModel),
                    TfModel = Text(problems, "--tf-model", parse.GetValue(tfModel) ?? defaults.TfModel),
                    MaxRequests = Number(problems, "--max-requests", parse.GetValue(maxRequests), defaults.MaxRequests, 1, 100_000),
                    TimeLimit = TimeSpan.FromSeconds(Number(problems, "--time-limit", parse.GetValue(timeLimit), (int)defaults.TimeLimit.TotalSeconds, 1, 3600)),
                    RequestTimeout = TimeSpan.FromSeconds(Number(problems, "--request-timeout", parse.GetValue(requestTimeout), (int)defaults.RequestTimeout.TotalSeconds, 1, 300)),
                    AnomalyQueries = Number(problems, "--anomaly-queries", parse.GetValue(anomalyQueries), defaults.AnomalyQueries, 10, 5_000),
                    FloodRequests = Number(problems, "--flood-requests", parse.GetValue(floodRequests), defaults.FloodRequests, 1, 10_000),
                    Seed = Number(problems, "--seed", parse.GetValue(seed), defaults.Seed, 0, int.MaxValue),
                });
            if (problems.Count > 0 || settings is null)
            {
                return Usage(string.Join(Environment.NewLine + "  ", problems));
            }

            return await RunAsync(settings, parse.GetValue(json), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(RedTeamSettings settings, bool json, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(settings.TimeLimit);
        using var client = new RedTeamClient(settings, deadline.Token);
        try
        {
            if (await PreflightAsync(client, cancellationToken) is { } refusal)
            {
                await Console.Error.WriteLineAsync($"{Name}: {refusal}");
                return RedTeamReport.CannotRun;
            }

            var probes = RedTeamSuite.For(settings);
            var report = json || !AnsiConsole.Profile.Capabilities.Interactive
                ? await RedTeamRun.RunAsync(client, probes, Progress.Line(probes), cancellationToken)
                : await Progress.BarsAsync(client, probes, cancellationToken);
            if (json)
            {
                Console.WriteLine(report.ToJson());
            }
            else
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
                if (Console.IsOutputRedirected)
                {
                    // A file or a pipe has no width: keep each finding on one line.
                    console.Profile.Width = 200;
                }

                report.Write(console);
            }

            return report.ExitCode;
        }
        catch (BudgetSpentException e)
        {
            await Console.Error.WriteLineAsync($"{Name}: {e.Message} before the gateway answered the first request (--time-limit, --max-requests).");
            return RedTeamReport.CannotRun;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"{Name}: interrupted; no report.");
            return RedTeamReport.CannotRun;
        }
    }

    /// <summary>One ordinary chat request: is the gateway there, and does it take the key? Null when the run can go on.</summary>
    private static async Task<string?> PreflightAsync(RedTeamClient client, CancellationToken cancellationToken)
    {
        var target = RedTeamReport.DisplayTarget(client.Settings.Target);
        var response = await client.SendAsync(client.PostJson(client.Settings.ChatPath, client.Settings.ChatBody("Hello")), cancellationToken);
        if (response.Status == 404)
        {
            // No chat route: the tensor routes may still be there.
            response = await client.SendAsync(client.PostJson(client.Settings.OipPath, """{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"""), cancellationToken);
            if (response.Status == 404)
            {
                return $"{target} answered 404 on {client.Settings.ChatPath} and {client.Settings.OipPath}: is it an AiGuard gateway? (--chat-path, --oip-model)";
            }
        }

        if (response.Failure is not null)
        {
            return $"cannot reach {target}: {response.Failure}.";
        }

        var retry = response.RetryAfter is { } after ? $" for {Math.Ceiling(after.TotalSeconds):0} s" : "";
        return response.ProblemCode switch
        {
            "auth_throttled" => $"the gateway throttles failed authentication from this address{retry} (auth_throttled), for example after an earlier red-team run; run again then.",
            "client_quarantined" => $"the key's client is quarantined{retry} (client_quarantined), for example by an earlier red-team run's anomaly probes.",
            _ when response.Status == 401 => $"the gateway does not accept the key ({response.Describe()}).",
            _ when response.Status == 403 => $"the key may not use {client.Settings.ChatPath} ({response.Describe()}); give a key with access to the routes and models under test.",
            _ => null,
        };
    }

    private static RedTeamSettings? Settings(List<string> problems, string? target, string? key, IReadOnlySet<string> categories, RedTeamSettings defaults)
    {
        Uri? uri = null;
        if (string.IsNullOrWhiteSpace(target))
        {
            problems.Add("--target is required (the gateway's base URL, for example http://127.0.0.1:8080).");
        }
        else if (!Uri.TryCreate(target, UriKind.Absolute, out uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            problems.Add($"--target '{target}' is not an absolute http:// or https:// URL.");
        }
        else if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            problems.Add("--target must be a base URL without user information, query or fragment.");
        }

        if (string.IsNullOrWhiteSpace(key))
        {
            if (!problems.Contains("--key needs a value."))
            {
                problems.Add($"--key is required (or set {KeyVariable}).");
            }
        }
        else if (key.Any(c => c is < '!' or > '~'))
        {
            problems.Add("--key holds spaces or characters that cannot be sent in a header.");
        }

        if (problems.Count > 0 || uri is null || key is null)
        {
            return null;
        }

        var path = uri.AbsolutePath.EndsWith('/') ? uri.AbsolutePath : uri.AbsolutePath + "/";
        return defaults with { Target = new UriBuilder(uri) { Path = path }.Uri, Key = key.Trim(), Categories = categories };
    }

    private static IReadOnlySet<string> Categories(List<string> problems, string? only, string? skip)
    {
        var known = RedTeamSuite.CategoryNames;
        IEnumerable<string> Names(string? values, string option)
        {
            foreach (var name in (values ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!known.Contains(name, StringComparer.Ordinal))
                {
                    problems.Add($"{option}: unknown category '{name}' (known: {string.Join(", ", known)}).");
                }
                else
                {
                    yield return name;
                }
            }
        }

        var chosen = Names(only, "--only").ToHashSet(StringComparer.Ordinal);
        var selected = (chosen.Count > 0 ? chosen : known.ToHashSet(StringComparer.Ordinal));
        selected.ExceptWith(Names(skip, "--skip").ToList());
        if (selected.Count == 0 && problems.Count == 0)
        {
            problems.Add("--only and --skip leave no category to run.");
        }

        return selected;
    }

    private static HashSet<string> Accepted(List<string> problems, string? value)
    {
        var known = RedTeamSuite.For(new RedTeamSettings { Target = new Uri("http://localhost/"), Key = "" }).Select(p => p.Category + "/" + p.Name).ToHashSet(StringComparer.Ordinal);
        var accepted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (known.Contains(id))
            {
                accepted.Add(id);
            }
            else
            {
                problems.Add($"--accept: no probe is called '{id}' (a probe is category/name, for example injection/extraction-repeat; the names are in docs/redteam.md and in --json).");
            }
        }

        return accepted;
    }

    private static int Number(List<string> problems, string option, string? value, int fallback, int min, int max)
    {
        if (value is null)
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            problems.Add($"{option} '{value}' must be a whole number from {min} to {max}.");
            return fallback;
        }

        return number;
    }

    private static string Path(List<string> problems, string option, string value)
    {
        if (!value.StartsWith('/') || value.Contains("//", StringComparison.Ordinal) || value.Any(c => c is < '!' or > '~' or '?' or '#'))
        {
            problems.Add($"{option} '{value}' must be an absolute path such as /v1/chat/completions.");
        }

        return value;
    }

    private static string Text(List<string> problems, string option, string value)
    {
        if (value.Length is 0 or > 256 || value.Any(char.IsControl))
        {
            problems.Add($"{option} must be 1 to 256 printable characters.");
        }

        return value;
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"{Name}: {message}");
        return RedTeamReport.Usage;
    }
}
