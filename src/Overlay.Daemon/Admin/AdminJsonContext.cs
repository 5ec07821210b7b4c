using System.Text.Json.Serialization;
using Overlay.DataPlane.Forwarding;

namespace Overlay.Daemon.Admin;

/// <summary>
/// Compile-time JSON metadata for the stats answer's "forwarding" object: every public total of
/// <see cref="ForwardingSnapshot"/> in camelCase, so a total the data plane adds later still shows up without
/// touching the writer, and no reflection is needed at run time (the daemon ships as a Native AOT binary).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ForwardingSnapshot))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
