using System.CommandLine;
using System.Globalization;
using AiGuard.Gateway;
using AiGuard.Identity;
using DemoModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiGuard.Cli.Demo;

/// <summary><c>aiguard demo</c>: the demo model server and the gateway in front of it, with a fresh demo key.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Gateway port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var modelPort = new Option<int>("--model-port") { Description = "Demo model port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 0 };
        var adminPort = new Option<int?>("--admin-port") { Description = "Admin API port on 127.0.0.1 (0 picks a free one; default the gateway port + 1, or a free one with --port 0)." };
        var command = new Command("demo", "Start the demo model and the AiGuard gateway in front of it, and print ready curl commands.")
        {
            port, modelPort, adminPort,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(port), parse.GetValue(modelPort), parse.GetValue(adminPort), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int port, int modelPort, int? adminPort, CancellationToken cancellationToken)
    {
        var admin = adminPort ?? (port == 0 ? 0 : port + 1);
        var starting = "--model-port";
        try
        {
            return await RunAsync(port, modelPort, admin, () => starting = "--port", cancellationToken);
        }
        catch (Exception ex) when (GatewayHost.Describe(ex, TakenOption(ex, starting, admin)) is { } message)
        {
            await Console.Error.WriteLineAsync("aiguard demo: " + message);
            return 1;
        }
    }

    /// <summary>The option that moves the listener whose address was taken: the admin API's own port when Kestrel names it.</summary>
    private static string TakenOption(Exception exception, string starting, int adminPort)
    {
        var adminAddress = Url(adminPort) + ":";
        return adminPort != 0 && starting == "--port" && GatewayHost.Chain(exception).Any(e => e.Message.Contains(adminAddress, StringComparison.Ordinal))
            ? "--admin-port"
            : starting;
    }

    private static async Task<int> RunAsync(int port, int modelPort, int adminPort, Action modelStarted, CancellationToken cancellationToken)
    {
        // Fresh secrets every run: nothing usable is committed to the repository.
        var upstreamKey = ApiKeyFormat.Generate("upstream").Key;
        var demoKey = ApiKeyFormat.Generate();
        var adminKey = ApiKeyFormat.Generate("aga");

        // A model port in use is told in one line (below), not also as the host's error log.
        await using var model = DemoModelServer.Build(
            ["--urls", Url(modelPort), "--Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host", "None"],
            o => o.RequiredApiKey = upstreamKey);
        await model.StartAsync(cancellationToken);
        var modelAddress = model.Urls.Single();
        modelStarted();

        // The Demo environment adds appsettings.Demo.json: the demo's routes, policies and anomaly engine.
        await using var gateway = GatewayApp.Build(["--environment", GatewayApp.DemoEnvironment], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ReverseProxy:Clusters:demo:Destinations:demo-model:Address"] = modelAddress,
                ["AiGuard:Upstreams:demo:Credential"] = upstreamKey,
                ["AiGuard:ApiKeys:Keys:0:Id"] = demoKey.Id,
                ["AiGuard:ApiKeys:Keys:0:Hash"] = demoKey.Hash,
                ["AiGuard:ApiKeys:Keys:0:ClientId"] = "demo-client",
                ["AiGuard:ApiKeys:Keys:0:Tenant"] = "demo",
                ["AiGuard:ApiKeys:Keys:0:Scopes:0"] = "inference",
                ["AiGuard:ApiKeys:Keys:0:AllowedRoutes:0"] = "*",
                ["AiGuard:ApiKeys:Keys:0:AllowedModels:0"] = "demo-*",
                ["AiGuard:ApiKeys:Keys:0:Description"] = "created by 'aiguard demo'",
                // The admin API on --admin-port (by default the next port, a free one with --port 0), with a fresh admin key.
                ["AiGuard:Admin:Urls"] = Url(adminPort),
                ["AiGuard:Admin:Keys:0:Id"] = adminKey.Id,
                ["AiGuard:Admin:Keys:0:Hash"] = adminKey.Hash,
                ["AiGuard:Admin:Keys:0:Name"] = "demo-operator",
                // One short human line per refusal; operational logs only when something is wrong.
                ["AiGuard:Audit:ConsoleFormat"] = "text",
                ["Serilog:MinimumLevel:Default"] = "Warning",
                // A start that fails (a port in use) is told in one line below, not also as the host's JSON error with its stack.
                ["Serilog:MinimumLevel:Override:Microsoft.Extensions.Hosting.Internal.Host"] = "Fatal",
            });
            builder.WebHost.UseUrls(Url(port));
        });
        await gateway.StartAsync(cancellationToken);
        var address = gateway.Urls.Single().TrimEnd('/');

        var admin = gateway.Services.GetRequiredService<AiGuard.Admin.AdminListener>().Addresses.FirstOrDefault()?.ToString().TrimEnd('/') ?? "(off)";
        PrintBanner(address, modelAddress, demoKey.Key, admin, adminKey.Key);
        await gateway.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

    private static string Url(int port) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);

    private static void PrintBanner(string address, string modelAddress, string key, string admin, string adminKey)
    {
        Console.WriteLine($$"""

            AiGuard demo is running.
              gateway:     {{address}}
              demo model:  {{modelAddress}} (accepts only the gateway's upstream credential)
              demo key:    {{key}}

            OpenAI chat completion:
              curl -s {{address}}/v1/chat/completions -H "Authorization: Bearer {{key}}" -H "Content-Type: application/json" -d '{"model":"demo-chat","messages":[{"role":"user","content":"Hello"}]}'

            OpenAI streamed:
              curl -sN {{address}}/v1/chat/completions -H "Authorization: Bearer {{key}}" -H "Content-Type: application/json" -d '{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"Hello"}]}'

            Open Inference Protocol v2:
              curl -s {{address}}/v2/models/demo-classifier/infer -H "Authorization: Bearer {{key}}" -H "Content-Type: application/json" -d '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.0,3.4,1.5,0.25]}]}'

            TF-Serving predict:
              curl -s {{address}}/v1/models/demo-classifier:predict -H "Authorization: Bearer {{key}}" -H "Content-Type: application/json" -d '{"instances":[[6.6,3.0,5.6,2.0]]}'

            A card number is redacted before the model sees it (the demo model echoes the prompt):
              curl -s {{address}}/v1/chat/completions -H "Authorization: Bearer {{key}}" -H "Content-Type: application/json" -d '{"model":"demo-chat","messages":[{"role":"user","content":"Charge 4111 1111 1111 1111 please"}]}'

            A US social security number is refused (400 problem+json):
              curl -s {{address}}/v1/chat/completions -H "Authorization: Bearer {{key}}" -H "Content-Type: application/json" -d '{"model":"demo-chat","messages":[{"role":"user","content":"My SSN is 123-45-6789"}]}'

            An answer that repeats the route's canary token is cut (a streamed one ends with an error event):
              curl -sN {{address}}/v1/chat/completions -H "Authorization: Bearer {{key}}" -H "Content-Type: application/json" -d '{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"Say CANARY-DEMO-7F3A91 twice"}]}'

            Without a key (401 problem+json):
              curl -s {{address}}/v1/chat/completions -H "Content-Type: application/json" -d '{"model":"demo-chat","messages":[{"role":"user","content":"Hello"}]}'

            Admin API (docs/admin-api.md), in another shell:
              export AIGUARD_ADMIN_URL={{admin}} AIGUARD_ADMIN_KEY={{adminKey}}
              dotnet run --project src/AiGuard.Cli -- status demo-client
              dotnet run --project src/AiGuard.Cli -- quarantine add demo-client --for 10m --reason "trying it"

            Press Ctrl+C to stop.
            """);
    }
}
