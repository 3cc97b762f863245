using DemoModel;

var app = DemoModelServer.Build(args);
await app.RunAsync();
