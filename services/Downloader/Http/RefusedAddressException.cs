using System.Net;

namespace Pipeline.Downloader.Http;

/// <summary>Every address a dataset host resolved to is one the <see cref="DatasetAddressPolicy"/> refuses.</summary>
public sealed class RefusedAddressException(string host, IReadOnlyList<string> refusals)
    : Exception(IPAddress.TryParse(host, out _)
        ? string.Join("; ", refusals)
        : $"host '{host}' resolves only to refused addresses: {string.Join("; ", refusals)}");
