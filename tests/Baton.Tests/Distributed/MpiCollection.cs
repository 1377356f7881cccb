namespace Baton.Tests.Distributed;

/// <summary>The mpirun tests run one after another: each job already takes more ranks than the machine has cores.</summary>
[CollectionDefinition(Name)]
public sealed class MpiCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "mpi";
}
