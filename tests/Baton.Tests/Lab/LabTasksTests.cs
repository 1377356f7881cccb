using Baton.Lab.Tasks;
using Baton.Numerics;

namespace Baton.Tests.Lab;

public class LabTasksTests
{
    private const double BaselineTolerance = 0.01;

    [Fact]
    public void Adding_task_has_two_markers_split_by_halves_and_the_target_is_their_sum()
    {
        var task = new AddingTask();
        var batch = task.CreateBatch(50, 64);
        task.Fill(batch, new Rng(1));
        for (int b = 0; b < batch.B; b++)
        {
            var marked = Enumerable.Range(0, batch.T).Where(t => batch.Input(t, b)[1] == 1f).ToArray();
            Assert.Equal(2, marked.Length);
            Assert.True(marked[0] < 25 && marked[1] >= 25);
            Assert.Equal(batch.Input(marked[0], b)[0] + batch.Input(marked[1], b)[0], batch.Targets[b]);
        }
    }

    [Fact]
    public void Adding_task_baseline_is_the_mse_of_answering_one()
    {
        var task = new AddingTask();
        var batch = task.CreateBatch(10, 20000);
        task.Fill(batch, new Rng(7));
        double mse = batch.Targets.Average(y => (y - 1.0) * (y - 1.0));
        Assert.Equal(1.0 / 6.0, task.Baseline, 12);
        Assert.InRange(mse, task.Baseline - BaselineTolerance, task.Baseline + BaselineTolerance);
    }

    [Fact]
    public void Copy_task_shows_the_symbols_then_go_and_asks_for_them_at_the_end()
    {
        var task = new CopyTask(symbols: 4, span: 3);
        var batch = task.CreateBatch(12, 5);
        task.Fill(batch, new Rng(3));
        for (int b = 0; b < batch.B; b++)
        {
            for (int t = 0; t < 12; t++)
            {
                var x = batch.Input(t, b);
                Assert.Equal(1f, x.ToArray().Sum());
                int token = x.IndexOf(1f);
                if (t < 3) Assert.Equal(batch.Labels[t * batch.B + b], token);
                else if (t == 12 - 3 - 1) Assert.Equal(5, token);
                else Assert.Equal(4, token);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => task.CreateBatch(6, 1));
    }

    [Fact]
    public void Recall_task_puts_the_cause_first_and_the_query_last()
    {
        var task = new RecallTask(fillers: 3);
        var batch = task.CreateBatch(9, 40);
        task.Fill(batch, new Rng(5));
        var seen = new HashSet<int>();
        for (int b = 0; b < batch.B; b++)
        {
            Assert.Equal(batch.Labels[b], batch.Input(0, b).IndexOf(1f));
            for (int t = 1; t < 8; t++)
                Assert.InRange(batch.Input(t, b).IndexOf(1f), 4, 6);
            Assert.Equal(7, batch.Input(8, b).IndexOf(1f));
            seen.Add(batch.Labels[b]);
        }
        Assert.Equal(4, seen.Count);
        Assert.Equal("吃饭", RecallTask.Completions[Array.IndexOf(RecallTask.Causes, "我肚子饿了")]);
    }

    [Fact]
    public void Same_seed_gives_the_same_batch()
    {
        foreach (string name in MemoryTask.Names)
        {
            var task = MemoryTask.Create(name);
            var a = task.CreateBatch(20, 4);
            var b = task.CreateBatch(20, 4);
            task.Fill(a, new Rng(11));
            task.Fill(b, new Rng(11));
            Assert.Equal(a.Inputs, b.Inputs);
        }
    }
}
