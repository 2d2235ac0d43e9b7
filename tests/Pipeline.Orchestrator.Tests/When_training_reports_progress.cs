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
}
