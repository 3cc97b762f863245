using System.Text;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AiGuard.IntegrationTests.Hostile;

/// <summary>
/// A client that stops sending in the middle of its body (slowloris on the body) is cut off by
/// Kestrel's minimum data rate; the gateway answers it with a problem and one audit event.
/// </summary>
public sealed class BodyReadTimeoutTests
{
    [Fact]
    public async Task A_body_that_stops_arriving_gets_a_408_problem_and_one_audit_event()
    {
        var key = ApiKeyFormat.Generate();
        await using var demo = await DemoUpstream.StartAsync();

        // Kestrel checks the rate once a second; its smallest grace period is just over that.
        await using var gateway = await GatewayUnderTest.StartAsync(
            GatewaySettings.ForDemo(demo.Address).WithKey(key),
            builder => builder.WebHost.ConfigureKestrel(o => o.Limits.MinRequestBodyDataRate = new MinDataRate(1_000, TimeSpan.FromSeconds(1.1))));

        var response = await RawHttp.SendAsync(
            gateway.Address,
            $"POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer {key.Key}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n",
            Encoding.ASCII.GetBytes("{\"model\":\"demo-chat\","));

        Assert.Equal(408, response.Status);
        Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
        var problem = response.Json();
        Assert.Equal(ProblemCodes.BodyReadTimeout, problem.GetProperty("code").GetString());
        var incidentId = problem.GetProperty("incidentId").GetString()!;
        var audit = await gateway.Audit.WaitForAsync(incidentId);
        Assert.Equal(1, gateway.Audit.CountFor(incidentId));
        Assert.Equal(408, audit.Status);
        Assert.Equal("tester", audit.ClientId);
    }
}
