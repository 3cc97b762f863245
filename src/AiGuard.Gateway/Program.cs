using AiGuard.Gateway;

GatewayApp.Build(args).Run();
