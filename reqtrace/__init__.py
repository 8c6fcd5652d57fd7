"""reqtrace: choose a CRM system the right way round.

Strategies drive roles, roles demand processes, processes are supported by
requirements, and vendors prove those requirements in a scripted demo.
"""

__version__ = "0.1.0"
