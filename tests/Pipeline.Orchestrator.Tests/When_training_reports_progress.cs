using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_training_reports_progress : SagaTest
{
    [Fact]
    public async Task Progress_is_recorded_and_pushes_the_deadline()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        Clock.Advance(TimeSpan.FromMinutes(3));

        await Publish(new TrainingProgressed { TrainingId = TrainingId, Attempt = 1, Iteration = 300, TotalIterations = 1500, Loss = 0.7 });

        await Eventually(() => Training.Progress?.Iteration == 300, "The progress was never recorded.");
        Assert.Equal(1500, Training.Progress!.TotalIterations);
        Assert.Equal(Clock.GetUtcNow() + new StageSettings().TimeoutOf(TrainingStates.TrainingRunning), Training.StageDeadline);
        Assert.Equal("TrainingRunning", Training.CurrentState);
    }

    [Fact]
    public async Task The_last_report_arriving_after_the_result_still_goes_on_the_curve()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        await Publish(new TrainingProgressed { TrainingId = TrainingId, Attempt = 1, Iteration = 190, TotalIterations = 200, Loss = 0.03 });
        await Eventually(() => Training.Series.Count == 1, "The first report was never recorded.");

        // Sent before the result, consumed after it: two messages of one training passed each other.
        await ModelTrained();
        await Eventually(() => Training.CurrentState != TrainingStates.TrainingRunning, "The result never moved the training on.");
        await Publish(new TrainingProgressed { TrainingId = TrainingId, Attempt = 1, Iteration = 200, TotalIterations = 200, Loss = 0.02, MeanAveragePrecision = 0.5 });

        await Eventually(() => Training.Series.Count == 2, "The late last report never reached the curve.");
        Assert.Equal((200, 0.5), (Training.Series[^1].Iteration, Training.Series[^1].MeanAveragePrecision));
    }

    [Fact]
    public async Task Improved_metrics_become_the_best_metrics()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));

        await Publish(new TrainingMetricsImproved
        {
            TrainingId = TrainingId, Attempt = 1,
            Metrics = new TrainingMetrics { Iteration = 500, MeanAveragePrecision = 0.42, Categories = [new CategoryMetrics { CategoryId = "c1", CategoryName = "circle", TruePositives = 7 }] },
        });

        await Eventually(() => Training.BestMetrics?.MeanAveragePrecision == 0.42, "The metrics were never recorded.");
        Assert.Equal(7, Training.BestMetrics!.Categories[0].TruePositives);
    }

    [Fact]
    public async Task Every_report_joins_the_series_with_the_mAP_of_the_evaluations()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));

        await Progress(100, 0.9);
        await Progress(200, 0.6, map: 0.31);
        await Progress(300, 0.4);

        Assert.Equal([(100, 0.9, null), (200, 0.6, 0.31), (300, 0.4, null)],
            Training.Series.Select(p => (p.Iteration, p.Loss!.Value, p.MeanAveragePrecision)));
    }

    [Fact]
    public async Task A_run_resumed_from_a_checkpoint_replaces_the_points_from_where_it_resumed()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        await Progress(100, 0.9);
        await Progress(200, 0.8);
        await Progress(300, 0.7);

        // The Trainer died after 300 and resumed from its checkpoint at 100: 200 and 300 are reported again.
        await Progress(200, 0.5);

        Assert.Equal([(100, 0.9), (200, 0.5)], Training.Series.Select(p => (p.Iteration, p.Loss!.Value)));
    }

    [Fact]
    public void Past_MaxSeriesPoints_loss_points_are_thinned_and_every_evaluation_is_kept()
    {
        var training = new TrainingState();
        for (var i = 1; i <= 3 * TrainingState.MaxSeriesPoints; i++)
        {
            training.RecordProgress(new TrainingProgressed
            {
                TrainingId = TrainingId, Attempt = 1, Iteration = i, TotalIterations = 100_000, Loss = 1.0 / i,
                MeanAveragePrecision = i % 100 == 0 ? i / 1e5 : null,
            }, DateTimeOffset.UnixEpoch);
        }

        Assert.InRange(training.Series.Count, TrainingState.MaxSeriesPoints / 2, TrainingState.MaxSeriesPoints + 1);
        Assert.Equal(30, training.Series.Count(p => p.MeanAveragePrecision is not null));
        Assert.Equal(3 * TrainingState.MaxSeriesPoints, training.Series[^1].Iteration);
        Assert.Equal(training.Series.OrderBy(p => p.Iteration).Select(p => p.Iteration), training.Series.Select(p => p.Iteration));
    }

    // One report at a time, each seen recorded before the next is sent: the harness may consume two at once.
    private async Task Progress(int iteration, double loss, double? map = null)
    {
        await Publish(new TrainingProgressed
        {
            TrainingId = TrainingId, Attempt = 1, Iteration = iteration, TotalIterations = 1000, Loss = loss, MeanAveragePrecision = map,
        });
        await Eventually(() => Training.Series.Any(p => p.Iteration == iteration && p.Loss == loss), $"The report of iteration {iteration} was never recorded.");
    }
}
