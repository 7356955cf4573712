"""The simulated exchange: order books, market data, sessions, latency, traders and faults (SimPy)."""
