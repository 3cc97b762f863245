using AiGuard.Gateway;

return await GatewayHost.RunAsync(args);
