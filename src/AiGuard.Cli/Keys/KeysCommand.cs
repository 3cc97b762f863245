using System.CommandLine;
using System.Text.Json;
using AiGuard.Identity;

namespace AiGuard.Cli.Keys;

/// <summary><c>aiguard keys</c>: create API keys and print the configuration entry that stores their hash.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var keys = new Command("keys", "Manage AiGuard API keys.");
        keys.Subcommands.Add(CreateKeyCommand());
        keys.Subcommands.Add(HashCommand());
        return keys;
    }

    private static Command CreateKeyCommand()
    {
        var clientId = new Option<string?>("--client-id") { Description = "Client the key identifies (defaults to the key id)." };
        var tenant = new Option<string>("--tenant") { Description = "Tenant of the client.", DefaultValueFactory = _ => "default" };
        var scopes = new Option<string[]>("--scope") { Description = "Scope granted (repeatable).", DefaultValueFactory = _ => ["inference"], AllowMultipleArgumentsPerToken = true };
        var routes = new Option<string[]>("--route") { Description = "Route id the key may call, '*' globs allowed (repeatable).", DefaultValueFactory = _ => ["*"], AllowMultipleArgumentsPerToken = true };
        var models = new Option<string[]>("--model") { Description = "Model the key may use, '*' globs allowed (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry (ISO 8601), for example 2027-01-31T00:00:00Z." };
        var prefix = new Option<string>("--prefix") { Description = "Key prefix of this deployment.", DefaultValueFactory = _ => ApiKeyFormat.DefaultPrefix };
        var description = new Option<string?>("--description") { Description = "Free text stored with the entry (no secrets)." };

        var command = new Command("create", "Create a key: prints it once, and the configuration entry to paste into AiGuard:ApiKeys:Keys.")
        {
            clientId, tenant, scopes, routes, models, expires, prefix, description,
        };
        command.SetAction(parse =>
        {
            GeneratedApiKey generated;
            try
            {
                generated = ApiKeyFormat.Generate(parse.GetValue(prefix)!);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }

            var entry = new ApiKeyEntry
            {
                Id = generated.Id,
                Hash = generated.Hash,
                ClientId = parse.GetValue(clientId),
                Tenant = parse.GetValue(tenant)!,
                Scopes = [.. parse.GetValue(scopes)!],
                AllowedRoutes = [.. parse.GetValue(routes)!],
                AllowedModels = [.. parse.GetValue(models)!],
                ExpiresAt = parse.GetValue(expires),
                Description = parse.GetValue(description),
            };

            Console.WriteLine("API key (shown once; AiGuard keeps only its hash):");
            Console.WriteLine();
            Console.WriteLine($"  {generated.Key}");
            Console.WriteLine();
            Console.WriteLine("Add this entry to AiGuard:ApiKeys:Keys in appsettings.json:");
            Console.WriteLine();
            Console.WriteLine(ConfigEntryJson(entry));
            return 0;
        });
        return command;
    }

    private static Command HashCommand()
    {
        var command = new Command("hash", "Read a key from standard input and print the hash to store for it.");
        command.SetAction(parse =>
        {
            var key = Console.In.ReadLine()?.Trim();
            if (string.IsNullOrEmpty(key) || !ApiKeyFormat.TryParse(key, out string _, out string id))
            {
                Console.Error.WriteLine("error: standard input does not hold a key of the form prefix_id_secret.");
                return 2;
            }

            Console.WriteLine($"Id:   {id}");
            Console.WriteLine($"Hash: {ApiKeyFormat.Hash(key)}");
            return 0;
        });
        return command;
    }

    internal static string ConfigEntryJson(ApiKeyEntry entry)
    {
        var options = new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
        return JsonSerializer.Serialize(entry, options);
    }
}
