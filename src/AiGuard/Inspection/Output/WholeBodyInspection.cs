using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;

namespace AiGuard.Inspection.Output;

/// <summary>
/// The response-body phase for a whole JSON answer: read from the upstream within the policy's
/// limit, parsed by the adapter, inspected by the stages, and written once, changed or not.
/// </summary>
/// <remarks>
/// Runs inside YARP's response transform with YARP's own body copy switched off, so the answer
/// is read once straight from the upstream connection and nothing reaches the client before the
/// stages have seen all of it. An answer that cannot be read whole, is too large or does not
/// parse is refused (502): a security gateway does not pass on what it could not inspect.
/// </remarks>
public static class WholeBodyInspection
{
    public static async ValueTask InspectAsync(ResponseTransformContext transform, GuardContext guard, StageRunner stages, DecisionRecorder recorder)
    {
        transform.SuppressResponseBody = true;
        var policy = guard.Policy!;
        var content = transform.ProxyResponse!.Content;
        var declared = content.Headers.ContentLength;
        if (declared > policy.MaxResponseBytes)
        {
            await recorder.RefuseAsync(guard, StageNames.ParseResponse, TooLarge(policy.MaxResponseBytes));
            return;
        }

        using var body = new PooledBufferWriter((int)(declared ?? 4096));
        try
        {
            await using var stream = await content.ReadAsStreamAsync(transform.CancellationToken);
            while (true)
            {
                var read = await stream.ReadAsync(body.GetMemory(4096), transform.CancellationToken);
                if (read == 0)
                {
                    break;
                }

                body.Advance(read);
                if (body.WrittenCount > policy.MaxResponseBytes)
                {
                    await recorder.RefuseAsync(guard, StageNames.ParseResponse, TooLarge(policy.MaxResponseBytes));
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            if (!guard.HttpContext.RequestAborted.IsCancellationRequested)
            {
                await recorder.RefuseAsync(guard, StageNames.Forward, GuardDecision.Refuse(
                    StatusCodes.Status502BadGateway, ProblemCodes.UpstreamError, "The model server's answer was cut off or did not arrive in time."));
            }

            return;
        }

        InferenceResponse response;
        try
        {
            response = policy.Adapter.ParseResponse(guard.Operation!, body.WrittenSpan);
        }
        catch (ProtocolViolationException)
        {
            await recorder.RefuseAsync(guard, StageNames.ParseResponse, EventStreamFilter.Invalid("The model server's answer is not valid for its protocol, so it could not be inspected."));
            return;
        }

        var (decision, stage) = stages.RunResponse(guard, response);
        if (decision.IsRefusal)
        {
            await recorder.RefuseAsync(guard, stage, decision);
            return;
        }

        var http = guard.HttpContext.Response;
        if (!response.IsModified)
        {
            http.ContentLength = body.WrittenCount;
            await http.Body.WriteAsync(body.WrittenMemory, guard.HttpContext.RequestAborted);
            return;
        }

        using var rewritten = new PooledBufferWriter(body.WrittenCount + 64);
        policy.Adapter.WriteResponse(body.WrittenSpan, response, rewritten);
        http.ContentLength = rewritten.WrittenCount;
        await http.Body.WriteAsync(rewritten.WrittenMemory, guard.HttpContext.RequestAborted);
    }

    private static GuardDecision TooLarge(long limit) => GuardDecision.Refuse(
        StatusCodes.Status502BadGateway,
        ProblemCodes.ResponseTooLarge,
        $"The model server's answer is larger than the {limit} bytes AiGuard inspects, so it is not passed on.");
}
