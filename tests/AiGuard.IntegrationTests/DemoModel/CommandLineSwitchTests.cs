using System.Net;
using DemoModel;

namespace AiGuard.IntegrationTests.DemoModel;

public sealed class CommandLineSwitchTests
{
    [Fact]
    public async Task Faults_and_debug_endpoints_can_be_switched_on_from_the_command_line()
    {
        await using var app = DemoModelServer.Build(
            ["--urls", "http://127.0.0.1:0", "--DemoModel:EnableFaults=true", "--DemoModel:EnableDebugEndpoints=true"]);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        using var faulty = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        faulty.Headers.Add("x-demo-fault", "error");

        var faultResponse = await client.SendAsync(faulty);
        var debugResponse = await client.GetAsync(new Uri("/debug/headers", UriKind.Relative));

        Assert.Equal(HttpStatusCode.InternalServerError, faultResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, debugResponse.StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public async Task Faults_and_debug_endpoints_are_off_by_default()
    {
        await using var app = DemoModelServer.Build(["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        using var faulty = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        faulty.Headers.Add("x-demo-fault", "error");

        var faultResponse = await client.SendAsync(faulty);
        var debugResponse = await client.GetAsync(new Uri("/debug/headers", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, faultResponse.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, debugResponse.StatusCode);
        await app.StopAsync();
    }
}
