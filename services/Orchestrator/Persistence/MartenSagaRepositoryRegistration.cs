using Marten;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;

namespace Pipeline.Orchestrator.Persistence;

public static class MartenSagaRepositoryRegistration
{
    /// <summary>
    /// Stores the saga in Marten through our own repository (MassTransit.Marten is not served by our registry).
    /// The document's mapping (identity, numeric revisions) comes from <see cref="TrainingStateDocument"/>.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> MartenRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> configurator)
        where TSaga : class, ISagaVersion
    {
        configurator.Repository(repository =>
        {
            repository.RegisterLoadSagaRepository<TSaga, MartenSagaRepositoryContextFactory<TSaga>>();
            repository.RegisterQuerySagaRepository<TSaga, MartenSagaRepositoryContextFactory<TSaga>>();
            repository.RegisterSagaRepository<TSaga, IDocumentSession, SagaConsumeContextFactory<IDocumentSession, TSaga>,
                MartenSagaRepositoryContextFactory<TSaga>>();
        });
        return configurator;
    }
}
