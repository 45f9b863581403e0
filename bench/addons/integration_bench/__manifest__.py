{
    "name": "Integration Suite benchmarks",
    "summary": "Bench only: a trivial route and a no-op backend kind to measure the core against",
    "version": "19.0.1.0.0",
    "category": "Hidden",
    "author": "Integration Suite",
    "license": "LGPL-3",
    "depends": ["integration_webhook"],
}
