using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static Pipeline.Deployment.Tests.Kubernetes.KubernetesManifests;

namespace Pipeline.Deployment.Tests.Kubernetes;

/// <summary>
/// deploy/kubernetes as kubectl applies it, held to the schemas of its kinds and to the code: every queue KEDA scales a
/// worker on is one its code consumes, every setting a service needs is given, every account has its Secret and the
/// permission scripts/infra.sh declares, and the network lets each service reach only what it uses.
/// </summary>
public sealed partial class When_the_Kubernetes_manifests_are_rendered
{
    public static TheoryData<string> Overlays => new(KubernetesManifests.Overlays);

    /// <summary>The services scripts/infra.sh declares (each has its accounts), which are also the repository's services.</summary>
    public static TheoryData<string> Services => new(ServiceCode.Permissions.Keys);

    /// <summary>The services that run stages: each consumes a stage queue and is not the saga's.</summary>
    private static readonly string[] Workers = ServiceCode.Permissions.Keys
        .Where(s => s != "orchestrator" && ServiceCode.QueuesNamedBy(s).Intersect(ServiceCode.StageQueues().Values).Any())
        .ToArray();

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_object_of_an_overlay_is_valid_against_its_kind_s_schema(string overlay)
    {
        var manifests = Render(overlay);

        Assert.Equal([], manifests.Objects.SelectMany(ManifestSchemas.Faults).ToArray());
        Assert.Superset(
            new HashSet<string> { "Deployment", "Job", "Secret", "NetworkPolicy", "Ingress", "PersistentVolumeClaim", "ScaledObject",
                "TriggerAuthentication", "RabbitmqCluster", "User", "Permission", "Cluster" },
            manifests.Objects.Select(Kind).ToHashSet());
    }

    [Fact]
    public void The_schema_check_finds_a_misspelt_field_a_missing_required_one_a_wrong_type_and_an_unknown_kind()
    {
        var manifests = Parse("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: misspelt}
            spec:
              replica: 2
              selector: {matchLabels: {app: x}}
              template: {spec: {containers: [{name: x, image: x}]}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: no-port}
            spec: {ports: [{name: http}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: wrong-type}
            spec: {ports: [{port: eighty}]}
            ---
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata: {name: misspelt}
            spec:
              scaleTargetRef: {name: x}
              maxReplicas: 3
              triggers: [{type: rabbitmq, metadata: {queueName: x}}]
            ---
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata: {name: wrong-type}
            spec: {instances: three}
            ---
            apiVersion: rabbitmq.com/v1beta1
            kind: Permission
            metadata: {name: no-vhost}
            spec: {userReference: {name: x}, rabbitmqClusterReference: {name: x}, permissions: {read: x}}
            ---
            apiVersion: example.com/v1
            kind: Unknown
            metadata: {name: x}
            """);

        var faults = manifests.Objects.ToDictionary(o => $"{Kind(o)} {Name(o)}", o => string.Join(" | ", ManifestSchemas.Faults(o)));

        Assert.Contains("'replica'", faults["Deployment misspelt"]);
        Assert.Contains("'port'", faults["Service no-port"]);
        Assert.Contains("$.spec.ports[0].port", faults["Service wrong-type"]);
        Assert.Contains("/spec/maxReplicas", faults["ScaledObject misspelt"]);
        Assert.Contains("/spec/instances", faults["Cluster wrong-type"]);
        Assert.Contains("vhost", faults["Permission no-vhost"]);
        Assert.Contains("no schema", faults["Unknown x"]);
    }

    [Theory]
    [InlineData("kustomization.yaml")]
    [InlineData("rabbitmq.yaml")]
    [InlineData("postgres-roles.yaml")]
    [InlineData("setup.sql")]
    public void The_accounts_in_the_repository_are_the_ones_scripts_infra_makes_from_its_declaration(string file)
    {
        var committed = File.ReadAllText(Path.Combine(ServiceCode.Root, "deploy", "kubernetes", "base", "accounts", file));

        Assert.Equal(File.ReadAllText(Path.Combine(MadeAccounts, file)), committed);
    }

    [Fact]
    public void Every_ScaledObject_scales_a_worker_on_queues_its_code_consumes_and_every_stage_queue_of_a_worker_has_one()
    {
        Assert.Equal([], ScalingMismatches(Render("cpu"), ServiceCode.QueuesNamedBy, ServiceCode.StageQueues().Values));
    }

    [Fact]
    public void A_queue_renamed_in_code_but_not_in_the_manifests_fails_the_scaling_check()
    {
        var trainModel = ServiceCode.StageQueues()["TrainModel"];
        IReadOnlyList<string> Renamed(string service) =>
            ServiceCode.QueuesNamedBy(service).Select(q => q == trainModel ? $"{trainModel}-v2" : q).ToList();

        var mismatches = ScalingMismatches(Render("cpu"), Renamed, ServiceCode.StageQueues().Values.Select(q => q == trainModel ? $"{trainModel}-v2" : q));

        Assert.Equal(
        [
            $"ScaledObject trainer scales trainer on {trainModel}, which its code does not consume ({trainModel}-v2, trainer-cleanup)",
            $"trainer consumes the stage queue {trainModel}-v2, which no ScaledObject scales it on",
        ], mismatches);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_setting_a_service_needs_is_given_by_its_Deployment(string service)
    {
        var manifests = Render("cpu");
        var given = manifests.Settings(Container(manifests.Single("Deployment", service)));

        var needed = ServiceCode.SettingsThatPointAtThisMachine(service).Concat(["RabbitMq:Username", "RabbitMq:Password"])
            .Concat(manifests.Find("Secret", $"pipeline-{service}-postgres") is null ? [] : ["ConnectionStrings:Postgres"])
            // A service that serves HTTP answers only the host names it is given (loopback alone by default).
            .Concat(ServiceCode.AppSettings(service).Any(s => s.Key == "Urls") ? ["AllowedHosts"] : [])
            .Concat(NeededBy.GetValueOrDefault(service, []));

        Assert.Equal([], needed.Where(key => !given.ContainsKey(key)).ToArray());
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Each_service_logs_in_with_its_own_accounts_whose_Secrets_and_permission_the_manifests_hold(string service)
    {
        var manifests = Render("cpu");
        var settings = manifests.Settings(Container(manifests.Single("Deployment", service)));

        Assert.Equal(service, settings["RabbitMq:Username"]);
        Assert.Equal($"secret:pipeline-{service}/password", settings["RabbitMq:Password"]);
        Assert.Equal(service, SecretValue(manifests, $"pipeline-{service}", "username"));
        Assert.Equal($"pipeline-{service}", (string?)manifests.Single("User", $"pipeline-{service}")["spec"]!["importCredentialsSecret"]!["name"]);
        var permission = manifests.Single("Permission", $"pipeline-{service}")["spec"]!["permissions"]!;
        var declared = ServiceCode.Permissions[service];
        Assert.Equal([declared.Configure.ToString(), declared.Write.ToString(), declared.Read.ToString()],
            new[] { "configure", "write", "read" }.Select(kind => (string)permission[kind]!));

        var databaseSecret = $"pipeline-{service}-postgres";
        if (manifests.Find("Secret", databaseSecret) is null)
        {
            Assert.DoesNotContain("ConnectionStrings:Postgres", settings.Keys);
        }
        else
        {
            Assert.Equal($"pipeline_{service}", SecretValue(manifests, databaseSecret, "username"));
            Assert.Equal($"secret:{databaseSecret}/password", settings["POSTGRES_PASSWORD"]);
            Assert.Contains($"Username=pipeline_{service};Password=$(POSTGRES_PASSWORD)", settings["ConnectionStrings:Postgres"]);
            Assert.Contains(manifests.Single("Cluster", "pipeline-postgres")["spec"]!["managed"]!["roles"]!.AsArray(),
                role => (string?)role!["name"] == $"pipeline_{service}" && (string?)role["passwordSecret"]!["name"] == databaseSecret);
        }

        // No other account's Secret: not another service's, not the schema owner's.
        Assert.All(settings.Values.Where(v => v.StartsWith("secret:", StringComparison.Ordinal)),
            value => Assert.Matches($"^secret:(pipeline-{service}(-postgres)?|pipeline-status-api)/", value));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Each_service_runs_unprivileged_with_probes_resources_and_a_grace_that_covers_its_stop(string service)
    {
        var deployment = Render("cpu").Single("Deployment", service);
        var pod = PodSpec(deployment);
        var container = Container(deployment);

        Assert.True((bool?)pod["securityContext"]?["runAsNonRoot"], "runAsNonRoot");
        Assert.False((bool?)pod["automountServiceAccountToken"], "automountServiceAccountToken");
        Assert.False((bool?)container["securityContext"]?["allowPrivilegeEscalation"], "allowPrivilegeEscalation");
        Assert.True((bool?)container["securityContext"]?["readOnlyRootFilesystem"], "readOnlyRootFilesystem");
        Assert.Equal(["ALL"], container["securityContext"]!["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
        Assert.NotNull(container["livenessProbe"]);
        Assert.NotNull(container["resources"]!["requests"]!["cpu"]);
        Assert.NotNull(container["resources"]!["requests"]!["memory"]);
        Assert.NotNull(container["resources"]!["limits"]!["memory"]);
        Assert.True((long)pod["terminationGracePeriodSeconds"]! > ShutdownTimeoutSeconds(),
            $"{service}'s termination grace does not cover its Shutdown:Timeout ({ShutdownTimeoutSeconds()} s): it would be killed mid-checkpoint.");
    }

    [Fact]
    public void Only_the_GPU_overlay_s_Trainer_asks_for_a_GPU()
    {
        static IEnumerable<string> AskingForGpu(KubernetesManifests manifests) =>
            manifests.OfKind("Deployment").Where(d => Container(d)["resources"]?["limits"]?["nvidia.com/gpu"] is not null).Select(Name);

        Assert.Equal(["trainer"], AskingForGpu(Render("gpu")));
        Assert.Empty(AskingForGpu(Render("cpu")));
    }

    [Fact]
    public void The_network_lets_workers_reach_only_the_broker_and_only_the_Orchestrator_the_Uploader_and_the_schema_reach_PostgreSQL()
    {
        var manifests = Render("cpu");
        var network = new Network(manifests);
        var ours = manifests.OfKind("Deployment").Concat(manifests.OfKind("Job")).ToDictionary(Name, PodLabels);
        Pod broker = new("pipeline-rabbitmq", new Dictionary<string, string> { ["app.kubernetes.io/name"] = "pipeline-rabbitmq" });
        Pod database = new("pipeline-postgres", new Dictionary<string, string> { ["cnpg.io/cluster"] = "pipeline-postgres" });
        var pods = ours.Select(p => new Pod(p.Key, p.Value)).Append(broker).Append(database).ToList();

        IEnumerable<string> Reached(string from) => pods.Where(to => to.Name != from && network.Allows(pods.Single(p => p.Name == from), to)).Select(p => p.Name);

        Assert.All(Workers.Except(["uploader"]), worker => Assert.Equal([broker.Name], Reached(worker)));
        Assert.Equal([broker.Name, database.Name], Reached("uploader"));
        Assert.Equal(["orchestrator", "orchestrator-schema", "uploader", "uploader-schema"],
            pods.Where(p => p != database && network.Allows(p, database)).Select(p => p.Name).Order());
        Assert.Equal(["orchestrator", broker.Name], Reached("detectornode"));
        Assert.All(ours.Keys, name => Assert.True(network.Restricts(pods.Single(p => p.Name == name)), $"{name}'s traffic is not restricted."));
    }

    /// <summary>Each ScaledObject against the code: the Deployment it scales, and the queues that worker's code consumes.</summary>
    private static IReadOnlyList<string> ScalingMismatches(
        KubernetesManifests manifests, Func<string, IReadOnlyList<string>> queuesOf, IEnumerable<string> stageQueueNames)
    {
        var mismatches = new List<string>();
        var scaledOn = new Dictionary<string, List<string>>();
        foreach (var scaledObject in manifests.OfKind("ScaledObject"))
        {
            var target = (string)scaledObject["spec"]!["scaleTargetRef"]!["name"]!;
            if (manifests.Find("Deployment", target) is not { } deployment)
            {
                mismatches.Add($"ScaledObject {Name(scaledObject)} scales {target}, which is not a Deployment of the manifests");
                continue;
            }

            var service = PodLabels(deployment)["app.kubernetes.io/name"];
            var consumed = queuesOf(service);
            foreach (var trigger in scaledObject["spec"]!["triggers"]!.AsArray())
            {
                var queue = (string)trigger!["metadata"]!["queueName"]!;
                scaledOn.TryAdd(service, []);
                scaledOn[service].Add(queue);
                if (!consumed.Contains(queue))
                {
                    mismatches.Add($"ScaledObject {Name(scaledObject)} scales {service} on {queue}, which its code does not consume ({string.Join(", ", consumed.Order(StringComparer.Ordinal))})");
                }
            }
        }

        var stageQueues = stageQueueNames.ToHashSet();
        foreach (var worker in Workers)
        {
            foreach (var queue in queuesOf(worker).Where(stageQueues.Contains))
            {
                if (!scaledOn.GetValueOrDefault(worker, []).Contains(queue))
                {
                    mismatches.Add($"{worker} consumes the stage queue {queue}, which no ScaledObject scales it on");
                }
            }
        }

        return mismatches;
    }

    /// <summary>Settings a service refuses to start or serve without, beyond its accounts and where it finds its servers.</summary>
    private static readonly Dictionary<string, string[]> NeededBy = new()
    {
        // Every request but the health checks needs a token of its role; without one nobody could use the API.
        ["orchestrator"] = ["StatusApi:OperatorTokens:0", "StatusApi:ViewerTokens:0"],
        // Validated on start (DetectorNodeSetup); the status API answers a node only with a token.
        ["detectornode"] = ["DetectorNode:Organization", "DetectorNode:Project", "DetectorNode:StatusApiToken", "DetectorNode:OperatorTokens:0"],
    };

    private static string SecretValue(KubernetesManifests manifests, string secret, string key) =>
        Encoding.UTF8.GetString(Convert.FromBase64String((string)manifests.Single("Secret", secret)["data"]![key]!));

    private static int ShutdownTimeoutSeconds() =>
        int.Parse(ShutdownTimeout().Match(File.ReadAllText(Path.Combine(ServiceCode.Root, "libs", "Pipeline.Hosting", "ShutdownSettings.cs"))).Groups[1].Value);

    [GeneratedRegex(@"TimeSpan Timeout \{ get; set; \} = TimeSpan\.FromSeconds\((\d+)\)")]
    private static partial Regex ShutdownTimeout();

    private sealed record Pod(string Name, IReadOnlyDictionary<string, string> Labels);

    /// <summary>
    /// The NetworkPolicies between the pods of one namespace, as Kubernetes reads them: a pod no policy of a direction
    /// selects is open in it; one that some select is open only to the peers their rules name. An ipBlock is taken to
    /// reach no pod (the manifests' one leaves out the private ranges pods have).
    /// </summary>
    private sealed class Network(KubernetesManifests manifests)
    {
        private readonly List<JsonObject> policies = manifests.OfKind("NetworkPolicy").Select(p => p["spec"]!.AsObject()).ToList();

        public bool Restricts(Pod pod) => Selecting(pod, "Ingress").Any() && Selecting(pod, "Egress").Any();

        public bool Allows(Pod from, Pod to) => Open(from, to, "Egress", "to") && Open(to, from, "Ingress", "from");

        private bool Open(Pod pod, Pod peer, string direction, string peers)
        {
            var selecting = Selecting(pod, direction).ToList();
            return selecting.Count == 0 || selecting.Any(policy => (policy[direction.ToLowerInvariant()]?.AsArray() ?? []).Any(rule =>
                rule![peers] is not JsonArray named || named.Any(p => p!["podSelector"] is JsonObject selector && p["namespaceSelector"] is null
                    && p["ipBlock"] is null && Matches(selector, peer.Labels))));
        }

        private IEnumerable<JsonObject> Selecting(Pod pod, string direction) =>
            policies.Where(p => p["policyTypes"]!.AsArray().Any(t => (string?)t == direction) && Matches(p["podSelector"]!.AsObject(), pod.Labels));

        private static bool Matches(JsonObject selector, IReadOnlyDictionary<string, string> labels) =>
            (selector["matchLabels"]?.AsObject() ?? []).All(l => labels.TryGetValue(l.Key, out var v) && v == (string?)l.Value)
            && (selector["matchExpressions"]?.AsArray() ?? []).All(e =>
            {
                var present = labels.TryGetValue((string)e!["key"]!, out var value);
                var values = e["values"]?.AsArray().Select(v => (string?)v).ToList() ?? [];
                return (string)e["operator"]! switch
                {
                    "In" => present && values.Contains(value),
                    "NotIn" => !present || !values.Contains(value),
                    "Exists" => present,
                    "DoesNotExist" => !present,
                    var other => throw new InvalidOperationException($"No selector operator {other}"),
                };
            });
    }
}
