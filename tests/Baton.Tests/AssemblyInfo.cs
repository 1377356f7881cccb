// Several tests set the process-wide Threads.Count (1-vs-N bit-identity checks, --threads on the
// CLI, bench rows that report it); running test classes one at a time keeps those settings from
// leaking into each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
