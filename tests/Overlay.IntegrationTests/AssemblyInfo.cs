// Daemon tests measure forwarding across namespaces on a 2-core machine: running them one at a time keeps an
// etcd outage or a restart in one test from starving another test's pings.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
