# Stand-ins for mcr.microsoft.com/dotnet/aspnet and /sdk where no image registry can be reached: Debian 12 from its own
# packages (debootstrap, imported as the base) with this machine's .NET. scripts/compose.sh images builds both targets from a
# context it stages: runtime/ (the dotnet host and the shared frameworks), sdk/ (the rest of the SDK), packages/ (the
# NuGet packages the services restore, and only those), NuGet.Config (that folder as the only source).
ARG DEBIAN_IMAGE

FROM ${DEBIAN_IMAGE} AS aspnet
COPY runtime/ /usr/share/dotnet/
# The official images' user (uid 1654) and settings.
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && groupadd --gid 1654 app && useradd --uid 1654 --gid app --create-home app
ENV DOTNET_RUNNING_IN_CONTAINER=true ASPNETCORE_HTTP_PORTS=8080

FROM aspnet AS sdk
COPY sdk/ /usr/share/dotnet/
# A restore finds every package here and asks no server: a package missing from the folder fails the build.
COPY packages/ /root/.nuget/packages/
COPY NuGet.Config /root/.nuget/NuGet/NuGet.Config
ENV DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false
