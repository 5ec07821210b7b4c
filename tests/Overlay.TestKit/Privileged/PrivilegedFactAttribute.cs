using Xunit;

namespace Overlay.TestKit.Privileged;

/// <summary>
/// A test that needs root: TUN devices, network namespaces, netlink. Where the machine cannot run it, it is
/// skipped with the reason, unless <c>OVERLAY_REQUIRE_PRIVILEGED=1</c> (set by CI), in which case it runs and fails
/// loudly instead of being skipped.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PrivilegedFactAttribute : FactAttribute
{
    public PrivilegedFactAttribute()
    {
        if (!PrivilegedEnvironment.Required && PrivilegedEnvironment.MissingReason is { } reason)
        {
            Skip = reason + " (set OVERLAY_REQUIRE_PRIVILEGED=1 to fail instead of skipping)";
        }
    }
}

/// <summary>The theory variant of <see cref="PrivilegedFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PrivilegedTheoryAttribute : TheoryAttribute
{
    public PrivilegedTheoryAttribute()
    {
        if (!PrivilegedEnvironment.Required && PrivilegedEnvironment.MissingReason is { } reason)
        {
            Skip = reason + " (set OVERLAY_REQUIRE_PRIVILEGED=1 to fail instead of skipping)";
        }
    }
}
