using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

/// <summary>The contracts' lists of states and stages, held against the state machine they describe.</summary>
public sealed class When_the_states_and_stages_are_declared : SagaTest
{
    [Fact]
    public void Every_state_of_the_machine_is_declared_in_the_contracts_and_nothing_else()
    {
        var machineStates = Machine.States.Select(state => state.Name).Where(name => name is not "Initial" and not "Final");

        Assert.Equal(TrainingStates.All.Order(), machineStates.Order());
    }

    [Fact]
    public void Every_stage_runs_in_a_state_of_the_machine_and_ends_in_a_later_one()
    {
        foreach (var stage in TrainingStages.All)
        {
            Assert.True(TrainingStates.All.ToList().IndexOf(stage.Running) < TrainingStates.All.ToList().IndexOf(stage.Done), $"{stage.Name}: {stage.Running} → {stage.Done}");
            Assert.Contains(stage.Running, TrainingStateMachine.StagesWithWorker);
        }

        Assert.Equal(TrainingStages.All.Count, TrainingStateMachine.StagesWithWorker.Count);
    }

    [Fact]
    public void Every_message_the_machine_handles_names_its_training_so_the_saga_partitions_by_it()
    {
        var messageTypes = TrainingStateDefinition.MessageTypes(Machine);

        Assert.Contains(typeof(StopTraining), messageTypes);
        Assert.Contains(typeof(MassTransit.Fault<TrainModel>), messageTypes);
        Assert.All(messageTypes, type => Assert.NotNull(typeof(Pipeline.Hosting.Messaging.TrainingIdOf<>).MakeGenericType(type).GetField("Read")!.GetValue(null)));
        var id = Guid.NewGuid();
        Assert.Equal(id, Pipeline.Hosting.Messaging.TrainingIdOf<StopTraining>.Read!(new StopTraining { TrainingId = id }));
    }
}
