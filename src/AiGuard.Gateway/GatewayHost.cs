using System.Net.Sockets;
using AiGuard.Configuration;
using Microsoft.AspNetCore.Connections;

namespace AiGuard.Gateway;

/// <summary>Runs the gateway and turns start-up failures an operator can fix into one clear message and exit code 1.</summary>
public static class GatewayHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            await using var app = GatewayApp.Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (Exception ex) when (Describe(ex) is { } message)
        {
            await Console.Error.WriteLineAsync("aiguard: " + message);
            return 1;
        }
    }

    /// <summary>The operator-facing explanation of a start-up failure, or null for an unexpected one (which keeps its stack trace).</summary>
    /// <param name="exception">What the start threw.</param>
    /// <param name="portSetting">Where the operator changes the port, named in the message when it is taken.</param>
    public static string? Describe(Exception exception, string portSetting = "--urls, ASPNETCORE_URLS or the Urls setting in appsettings.json (AiGuard:Admin:Urls for the admin listener)")
    {
        var chain = Chain(exception).ToList();
        if (chain.OfType<GatewayConfigurationException>().FirstOrDefault() is { } configuration)
        {
            return configuration.Message;
        }

        if (chain.Any(e => e is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }))
        {
            var what = chain.OfType<IOException>().FirstOrDefault()?.Message ?? "The address is already in use.";
            return $"{what} Another process holds the port: stop it, or choose another port with {portSetting}.";
        }

        return null;
    }

    /// <summary>An exception and every exception inside it (inner ones, and each of an aggregate's).</summary>
    public static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }
}
