using Samsa.Cli.Commands;

namespace Samsa.Cli.Tests;

public sealed class ProgressBarTests
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public void Never_draws_when_output_is_redirected()
    {
        var output = new StringWriter();
        var bar = new ProgressBar(output, interactive: false, _time, 100, "records");
        _time.Advance(TimeSpan.FromMinutes(1));
        bar.Update(50);
        bar.WriteLine("line");
        bar.Clear();
        Assert.Equal("line" + Environment.NewLine, output.ToString());
    }

    [Fact]
    public void Draws_only_once_the_run_is_long_and_clears_before_other_output()
    {
        var output = new StringWriter();
        var bar = new ProgressBar(output, interactive: true, _time, 100, "records");
        bar.Update(10);
        Assert.Equal("", output.ToString());
        _time.Advance(TimeSpan.FromSeconds(3));
        bar.Update(50);
        Assert.True(bar.Visible);
        string drawn = "\r" + ProgressBar.Render(50, 100, "records", TimeSpan.FromSeconds(3));
        Assert.Equal(drawn, output.ToString());
        bar.WriteLine("5 records sent");
        Assert.False(bar.Visible);
        Assert.EndsWith("\r" + new string(' ', drawn.Length - 1) + "\r5 records sent" + Environment.NewLine, output.ToString());
    }

    [Fact]
    public void Render_shows_the_fraction_done()
    {
        Assert.Equal("[###############...............]  50% 50/100 records, 3.0 s", ProgressBar.Render(50, 100, "records", TimeSpan.FromSeconds(3)));
    }
}
