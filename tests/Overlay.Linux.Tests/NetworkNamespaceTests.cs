using Tmds.Linux;

namespace Overlay.Linux.Tests;

public sealed class NetworkNamespaceTests
{
    [Fact]
    public void A_missing_namespace_is_an_error_naming_its_path()
    {
        Exception? failure = null;
        var thread = new Thread(() => failure = Record.Exception(() => NetworkNamespace.EnterForCurrentThread("ovt-does-not-exist")));
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));

        var error = Assert.IsType<SystemCallException>(failure);
        Assert.Equal(LibC.ENOENT, error.Errno);
        Assert.Contains($"{NetworkNamespace.NamedNamespaceDirectory}/ovt-does-not-exist", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void A_name_that_is_not_a_plain_file_name_is_refused(string name) =>
        Assert.Throws<ArgumentException>(() => NetworkNamespace.EnterForCurrentThread(name));

    [Fact]
    public async Task A_thread_pool_thread_is_never_moved()
    {
        Exception? failure = await Task.Run(() => Record.Exception(() => NetworkNamespace.EnterForCurrentThread("ovt-any")));

        Assert.IsType<InvalidOperationException>(failure);
    }
}
