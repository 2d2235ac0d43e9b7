using System.Text.RegularExpressions;

namespace Pipeline.Deployment.Tests;

/// <summary>What can be checked of the Docker deployment on a machine without a Docker engine.</summary>
public sealed class When_the_Docker_deployment_is_checked_without_an_engine
{
    private static readonly ComposeFile Compose = ComposeFile.Load();

    public static TheoryData<string> BuiltServices => new(ComposeFile.Load().BuiltServices);

    [Fact]
    public void Every_service_of_the_repository_is_in_the_compose_file()
    {
        var folders = Directory.GetDirectories(Path.Combine(Compose.Root, "services")).Select(Path.GetFileName).Select(n => n!.ToLowerInvariant());

        Assert.Equal(folders.Order(), Compose.BuiltServices.Order());
    }

    [Theory]
    [MemberData(nameof(BuiltServices))]
    public void Each_service_is_built_by_the_one_Dockerfile_from_its_own_folder_s_project(string service)
    {
        Assert.Equal("services/Dockerfile", Compose.Dockerfile(service));
        var folder = Compose.BuildArgs(service)["SERVICE"];
        Assert.Equal(service, folder.ToLowerInvariant());
        Assert.True(File.Exists(Path.Combine(Compose.Root, "services", folder, $"Pipeline.{folder}.csproj")),
            $"{service}: SERVICE={folder}, and services/{folder}/Pipeline.{folder}.csproj does not exist.");
    }

    [Theory]
    [MemberData(nameof(BuiltServices))]
    public void By_default_each_image_is_built_on_the_official_Ubuntu_24_04_NET_images(string service)
    {
        // Ubuntu 24.04's libstdc++ carries GLIBCXX_3.4.32, which TorchSharp's native library asks for.
        var arguments = Compose.BuildArgs(service);
        Assert.Equal("${DOTNET_SDK_IMAGE:-mcr.microsoft.com/dotnet/sdk:10.0-noble}", arguments["DOTNET_SDK_IMAGE"]);
        Assert.Equal("${DOTNET_BASE_IMAGE:-mcr.microsoft.com/dotnet/aspnet:10.0-noble}", arguments["DOTNET_BASE_IMAGE"]);
    }

    [Theory]
    [MemberData(nameof(BuiltServices))]
    public void Every_setting_that_points_at_this_machine_is_given_for_the_container(string service)
    {
        var given = Compose.Environment(service).Keys.Select(k => k.Replace("__", ":")).ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.Equal([], ServiceCode.SettingsThatPointAtThisMachine(service).Where(key => !given.Contains(key)).ToArray());
        Assert.Contains("RabbitMq:Password", given);
    }

    [Fact]
    public void Every_variable_the_compose_file_substitutes_is_in_the_env_example()
    {
        var example = File.ReadAllLines(Path.Combine(Compose.Root, ".env.example"))
            .Where(line => line.Contains('=') && !line.TrimStart().StartsWith('#'))
            .Select(line => line.Split('=')[0].Trim());

        Assert.Empty(Compose.Variables.Except(example));
    }

    [Fact]
    public void An_escaped_variable_is_the_container_shell_s_not_one_the_env_example_must_hold()
    {
        var compose = ComposeFile.Parse("""
            services:
              db:
                environment:
                  PASSWORD: ${DB_PASSWORD:?set it}
                healthcheck:
                  test: ["CMD-SHELL", "pg_isready -U $${POSTGRES_USER}"]
            """);

        Assert.Equal(["DB_PASSWORD"], compose.Variables);
    }

    [Fact]
    public void No_credentials_are_written_into_the_compose_file()
    {
        Assert.DoesNotContain("guest", Compose.Text);
        Assert.Equal([], Compose.LiteralCredentials());
    }

    [Fact]
    public void The_credential_check_flags_each_literal_password_form_and_lets_only_whole_substitutions_through()
    {
        var compose = ComposeFile.Parse("""
            services:
              literal:
                environment:
                  RABBITMQ_DEFAULT_PASS: x
                  rabbitmq__password: x
                  POSTGRES_PASSWORD: ""
                  Db__Password: ${DB_PASSWORD:-hunter2}
                  Cache__Password: x${CACHE_PASSWORD}
                  Escaped__Password: $${DB_PASSWORD}
                  ConnectionStrings__Postgres: Host=db;Username=${DB_USER};password=x
                  RabbitMq__Url: amqp://${RABBITMQ_USER}:x@rabbitmq:5672
              listed:
                environment:
                  - REDIS_PASS=x
                  - Smtp__Password
              substituted:
                environment:
                  RABBITMQ_DEFAULT_PASS: ${RABBITMQ_PASSWORD}
                  RabbitMq__Password: ${RABBITMQ_PASSWORD:?set RABBITMQ_PASSWORD in .env}
                  ConnectionStrings__Postgres: Host=db;Username=${DB_USER};Password=${POSTGRES_PASSWORD:?set it};Pooling=true
                  RabbitMq__Url: amqp://${RABBITMQ_USER}:${RABBITMQ_PASSWORD}@rabbitmq:5672
                  COMPASS_BEARING: north
            """);

        Assert.Equal(
        [
            "literal: RABBITMQ_DEFAULT_PASS", "literal: rabbitmq__password", "literal: POSTGRES_PASSWORD", "literal: Db__Password",
            "literal: Cache__Password", "literal: Escaped__Password", "literal: ConnectionStrings__Postgres", "literal: RabbitMq__Url",
            "listed: REDIS_PASS",
        ], compose.LiteralCredentials());
    }

    [Fact]
    public void The_servers_have_health_checks_the_services_wait_for()
    {
        Assert.All(Servers, server => Assert.True(Compose.Services[server].ContainsKey("healthcheck"), $"{server} has no health check."));
        Assert.All(Compose.BuiltServices, service =>
        {
            var dependsOn = (Dictionary<object, object>)Compose.Services[service]["depends_on"];
            Assert.All(Servers, server => Assert.Equal("service_healthy", Condition(dependsOn, server)));
            // Anything else it waits for is the schema's one-shot, which must have finished, not merely started.
            Assert.All(dependsOn.Keys.Cast<string>().Except(Servers), oneShot =>
            {
                Assert.Equal("service_completed_successfully", Condition(dependsOn, oneShot));
                Assert.Equal(["apply-schema"], ((List<object>)Compose.Services[oneShot]["command"]).Cast<string>());
            });
        });
    }

    [Fact]
    public void Each_service_logs_in_with_its_own_account_the_one_scripts_infra_declares()
    {
        // The declaration local servers and docker-compose share: `service NAME QUEUES SENDS TABLES` in scripts/infra.sh.
        var script = File.ReadAllText(Path.Combine(Compose.Root, "scripts", "infra.sh"));
        var declared = Regex.Matches(script, @"^\s*service (\w+) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Compose.BuiltServices.Order(), declared.Order());

        Assert.All(Compose.BuiltServices, service =>
        {
            var environment = Compose.Environment(service);
            var password = $"${{{service.ToUpperInvariant()}_PASSWORD:?";
            Assert.Equal(service, environment["RabbitMq__Username"]);
            Assert.StartsWith(password, environment["RabbitMq__Password"]);
            if (environment.TryGetValue("ConnectionStrings__Postgres", out var postgres))
            {
                Assert.Contains($"Username=pipeline_{service};Password={password}", postgres);
            }

            // The owner's, the superuser's and the operator's passwords stay with the setup and the tools.
            Assert.DoesNotContain(environment.Values, value => Regex.IsMatch(value, @"\$\{(PIPELINE_ADMIN|PIPELINE_OWNER|OPERATOR)_PASSWORD"));
        });
    }

    private static readonly string[] Servers = ["rabbitmq", "postgres"];

    private static string Condition(Dictionary<object, object> dependsOn, string service) =>
        (string)((Dictionary<object, object>)dependsOn[service])["condition"];
}
