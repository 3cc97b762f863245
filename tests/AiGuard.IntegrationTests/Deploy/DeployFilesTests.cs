using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace AiGuard.IntegrationTests.Deploy;

/// <summary>
/// deploy/ holds only what can be checked without a Docker engine or a cluster: every file
/// parses, every file and port one file names exists in the others, promtool accepts the
/// Prometheus files and their rule tests pass, and kustomize renders the manifests.
/// </summary>
public sealed partial class DeployFilesTests
{
    [Fact]
    public void Every_yaml_and_json_file_parses()
    {
        var yaml = DeployFiles.All(".yaml", ".yml").ToList();
        var json = DeployFiles.All(".json").ToList();
        Assert.True(yaml.Count >= 12, $"only {yaml.Count} YAML files under deploy/");
        Assert.NotEmpty(json);
        foreach (var file in yaml)
        {
            var relative = Path.GetRelativePath(DeployFiles.Deploy, file);
            Assert.True(DeployFiles.Yaml(relative).Count > 0, $"{relative} holds no YAML document");
        }

        foreach (var file in json)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
    }

    [Fact]
    public void Compose_builds_and_mounts_only_files_that_exist_and_names_its_own_services()
    {
        var compose = DeployFiles.Yaml("compose/compose.yaml").Single();
        var services = (YamlMappingNode)compose.At("services")!;
        var names = services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
        Assert.Superset(new HashSet<string> { "gateway", "model", "redis", "collector", "prometheus", "grafana" }, names);
        var folder = DeployFiles.PathOf("compose");
        foreach (var (key, service) in services.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (service.At("build") is { } build)
            {
                var context = Path.GetFullPath(Path.Combine(folder, build.Text("context")!));
                Assert.True(Directory.Exists(context), $"{name}: build context {context} does not exist");
                Assert.True(File.Exists(Path.Combine(context, build.Text("dockerfile")!)), $"{name}: dockerfile {build.Text("dockerfile")} does not exist");
                Assert.Contains($"AS {build.Text("target")}", File.ReadAllText(Path.Combine(context, build.Text("dockerfile")!)), StringComparison.Ordinal);
            }

            foreach (var volume in service.Items("volumes").OfType<YamlScalarNode>().Select(v => v.Value!))
            {
                var source = volume.Split(':')[0];
                if (source.StartsWith('.'))
                {
                    var path = Path.GetFullPath(Path.Combine(folder, source));
                    Assert.True(File.Exists(path) || Directory.Exists(path), $"{name}: volume source {source} does not exist");
                }
                else
                {
                    Assert.True(compose.At("volumes", source) is not null, $"{name}: named volume {source} is not declared");
                }
            }

            foreach (var dependency in service.Items("depends_on").OfType<YamlScalarNode>())
            {
                Assert.Contains(dependency.Value!, names);
            }
        }

        // Every host:port another file points at is a compose service (and the port it listens on).
        var targets = new List<(string File, string Host, string Port)>();
        foreach (var (file, text) in new[] { "collector/otel-collector.yaml", "prometheus/prometheus.yml", "grafana/provisioning/datasources/prometheus.yaml", "compose/compose.yaml" }
                     .Select(f => (f, File.ReadAllText(DeployFiles.PathOf(f)))))
        {
            foreach (Match match in ServiceAddress().Matches(text))
            {
                if (match.Groups["host"].Value == "localhost")
                {
                    continue;
                }

                targets.Add((file, match.Groups["host"].Value, match.Groups["port"].Value));
            }
        }

        Assert.NotEmpty(targets);
        foreach (var (file, host, _) in targets)
        {
            Assert.True(names.Contains(host), $"{file} points at '{host}', which is not a service of compose.yaml");
        }

        var collectorPorts = Regex.Matches(File.ReadAllText(DeployFiles.PathOf("collector/otel-collector.yaml")), @"endpoint: 0\.0\.0\.0:(\d+)").Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var (file, _, port) in targets.Where(t => t.Host == "collector"))
        {
            Assert.True(collectorPorts.Contains(port), $"{file} uses collector port {port}, where the collector does not listen ({string.Join(", ", collectorPorts)})");
        }
    }

    [Fact]
    public void The_compose_secrets_file_is_kept_out_of_git_and_out_of_the_image_build()
    {
        Assert.True(File.Exists(DeployFiles.PathOf("compose/.env.example")));
        var gitignore = File.ReadAllLines(Path.Combine(DeployFiles.RepositoryRoot, ".gitignore")).Select(l => l.Trim());
        Assert.Contains(".env", gitignore);
        var dockerignore = File.ReadAllLines(Path.Combine(DeployFiles.RepositoryRoot, ".dockerignore")).Select(l => l.Trim()).ToList();
        Assert.Contains("**/.env", dockerignore);
        Assert.Contains("**/bin/", dockerignore);
        Assert.Contains("**/obj/", dockerignore);

        // The git ignore rule holds for the very path operations.md tells operators to write.
        if (DeployFiles.Tool("git") is { } git && Directory.Exists(Path.Combine(DeployFiles.RepositoryRoot, ".git")))
        {
            Assert.Equal(0, DeployFiles.Run(git, DeployFiles.RepositoryRoot, "check-ignore", "-q", "deploy/compose/.env").ExitCode);
        }
    }

    [Fact]
    public void Dockerfile_publishes_projects_that_exist_and_starts_their_assemblies_as_a_non_root_user()
    {
        var dockerfile = File.ReadAllText(DeployFiles.PathOf("Dockerfile"));
        var published = Regex.Matches(dockerfile, @"dotnet publish (\S+) .*?-o /out/(\S+)").ToList();
        Assert.Equal(2, published.Count);
        foreach (var publish in published)
        {
            var project = Path.Combine(DeployFiles.RepositoryRoot, publish.Groups[1].Value);
            var csproj = Directory.GetFiles(project, "*.csproj").Single();
            var assembly = Path.GetFileNameWithoutExtension(csproj) + ".dll";
            Assert.Contains($"COPY --from=build --chown=root:root /out/{publish.Groups[2].Value} .", dockerfile, StringComparison.Ordinal);
            Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{assembly}\"]", dockerfile, StringComparison.Ordinal);
        }

        // Every stage that runs something runs as the image's non-root user.
        var stages = dockerfile.Split("\nFROM ").Skip(1).Where(s => s.Contains("ENTRYPOINT", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stages.Count);
        Assert.All(stages, s => Assert.Contains("\nUSER app\n", s, StringComparison.Ordinal));
    }

    [Fact]
    public void Kubernetes_manifests_agree_with_each_other()
    {
        var kustomization = DeployFiles.Yaml("kubernetes/kustomization.yaml").Single();
        foreach (var resource in kustomization.Items("resources").OfType<YamlScalarNode>())
        {
            Assert.True(File.Exists(DeployFiles.PathOf("kubernetes/" + resource.Value)), $"kustomization names {resource.Value}, which does not exist");
        }

        foreach (var file in kustomization.Items("configMapGenerator").SelectMany(g => g.Items("files")).OfType<YamlScalarNode>())
        {
            Assert.True(File.Exists(DeployFiles.PathOf("kubernetes/" + file.Value)), $"configMapGenerator names {file.Value}, which does not exist");
        }

        var deployment = DeployFiles.Yaml("kubernetes/deployment.yaml").Single();
        var labels = (YamlMappingNode)deployment.At("spec", "template", "metadata", "labels")!;
        Assert.Equal(labels.ToString(), deployment.At("spec", "selector", "matchLabels")!.ToString());
        var container = deployment.Items("spec", "template", "spec", "containers").Single();
        var ports = container.Items("ports").Select(p => p.Text("name")!).ToHashSet();
        Assert.Superset(new HashSet<string> { "http", "admin" }, ports);
        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            Assert.Equal("admin", container.Text(probe, "httpGet", "port"));
        }

        Assert.Equal("true", container.Text("securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", container.Text("securityContext", "allowPrivilegeEscalation"));
        Assert.Equal("true", deployment.Text("spec", "template", "spec", "securityContext", "runAsNonRoot"));

        // The ConfigMap and the Secret the pod reads are the ones this folder makes or describes.
        var generated = kustomization.Items("configMapGenerator").Select(g => g.Text("name")).ToHashSet();
        var volumes = deployment.Items("spec", "template", "spec", "volumes").ToList();
        foreach (var volume in volumes.Where(v => v.At("configMap") is not null))
        {
            Assert.Contains(volume.Text("configMap", "name"), generated);
        }

        var mounted = container.Items("volumeMounts").Select(m => m.Text("name")).ToList();
        Assert.All(mounted, m => Assert.Contains(m, volumes.Select(v => v.Text("name"))));
        var configPath = container.Items("env").Single(e => e.Text("name") == "AIGUARD_CONFIG").Text("value")!;
        var configMount = container.Items("volumeMounts").Single(m => m.Text("name") == "config").Text("mountPath")!;
        Assert.Equal(configMount + "/" + kustomization.Items("configMapGenerator").Single().Items("files").OfType<YamlScalarNode>().Single().Value, configPath);

        var secret = DeployFiles.Yaml("kubernetes/secret.yaml").Single();
        var secretKeys = ((YamlMappingNode)secret.At("stringData")!).Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToHashSet();
        foreach (var reference in container.Items("env").Select(e => e.At("valueFrom", "secretKeyRef")).OfType<YamlNode>())
        {
            Assert.Equal(secret.Text("metadata", "name"), reference.Text("name"));
            Assert.Contains(reference.Text("key"), secretKeys);
        }

        var service = DeployFiles.Yaml("kubernetes/service.yaml").Single();
        Assert.Equal(labels.ToString(), service.At("spec", "selector")!.ToString());
        Assert.All(service.Items("spec", "ports"), p => Assert.Contains(p.Text("targetPort")!, ports));

        var hpa = DeployFiles.Yaml("kubernetes/hpa.yaml").Single();
        Assert.Equal(deployment.Text("metadata", "name"), hpa.Text("spec", "scaleTargetRef", "name"));
        Assert.Equal("Deployment", hpa.Text("spec", "scaleTargetRef", "kind"));
        var pdb = DeployFiles.Yaml("kubernetes/pdb.yaml").Single();
        Assert.Equal(labels.ToString(), pdb.At("spec", "selector", "matchLabels")!.ToString());
    }

    [SkippableFact]
    public void Kustomize_renders_every_manifest()
    {
        var kubectl = DeployFiles.Tool("kubectl");
        Skip.If(kubectl is null, "kubectl is not installed; the manifests were still checked against each other.");
        var (exitCode, output) = DeployFiles.Run(kubectl!, DeployFiles.Deploy, "kustomize", "kubernetes");
        Assert.True(exitCode == 0, output);
        foreach (var kind in new[] { "Namespace", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget" })
        {
            Assert.Contains($"kind: {kind}\n", output, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void Promtool_accepts_the_prometheus_configuration_and_the_alert_rules_pass_their_tests()
    {
        var promtool = DeployFiles.Tool("promtool");
        Skip.If(promtool is null && Environment.GetEnvironmentVariable("AIGUARD_REQUIRE_PROMTOOL") != "1",
            "promtool is not installed (Debian: apt-get install prometheus); .ci/run installs it.");
        Assert.True(promtool is not null, "AIGUARD_REQUIRE_PROMTOOL=1 but promtool is not installed");
        var folder = DeployFiles.PathOf("prometheus");
        foreach (var args in new[] { new[] { "check", "config", "prometheus.yml" }, ["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"] })
        {
            var (exitCode, output) = DeployFiles.Run(promtool!, folder, args);
            Assert.True(exitCode == 0, $"promtool {string.Join(' ', args)}:\n{output}");
            Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Collector_pipelines_use_only_receivers_processors_and_exporters_it_defines()
    {
        var collector = DeployFiles.Yaml("collector/otel-collector.yaml").Single();
        var pipelines = (YamlMappingNode)collector.At("service", "pipelines")!;
        Assert.Equal(["logs", "metrics", "traces"], pipelines.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order(StringComparer.Ordinal));
        foreach (var (_, pipeline) in pipelines.Children)
        {
            foreach (var part in new[] { "receivers", "processors", "exporters" })
            {
                foreach (var name in pipeline.Items(part).OfType<YamlScalarNode>())
                {
                    Assert.True(collector.At(part, name.Value!) is not null, $"pipeline uses {part[..^1]} {name.Value}, which is not defined");
                }
            }
        }
    }

    [GeneratedRegex(@"(?:https?://|targets: \[""|endpoint: )(?<host>[a-z][a-z0-9-]*):(?<port>\d+)")]
    private static partial Regex ServiceAddress();
}
