"""The heavy modules, imported once, before a page imports anything else.

On a cold server the first sessions run their page scripts at the same time, in threads of one
process. Two threads importing numpy, pandas and plotly in different orders can trip Python's
import deadlock detection, and one of them then goes on with a half-initialised module
("partially initialized module 'numpy'", seen once in 8 first sessions). Every page script
imports this module first: the first session imports the heavy modules here, in one order,
while the others wait for this module alone, holding no other import lock.
"""

import duckdb  # noqa: F401
import numpy  # noqa: F401
import pandas  # noqa: F401
import plotly.graph_objects
import plotly.io  # noqa: F401
import pyarrow  # noqa: F401

# The chart template is built at import, where plotly imports its own optional modules.
import handoff.charts  # noqa: F401
