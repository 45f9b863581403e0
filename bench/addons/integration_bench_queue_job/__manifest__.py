{
    "name": "Integration Suite benchmarks: queue_job baseline",
    "summary": "Bench only: a no-op queue_job job, to compare job throughput with the event engine",
    "version": "19.0.1.0.0",
    "category": "Hidden",
    "author": "Integration Suite",
    "license": "LGPL-3",
    "depends": ["queue_job"],
}
