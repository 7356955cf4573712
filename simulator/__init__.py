"""The simulated exchange: order books, market data, sessions, latency, traders and faults (SimPy)."""

from simulator import native

native.select()  # the compiled matching code when it is current, else the sources (see simulator.native)
