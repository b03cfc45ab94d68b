"""The GitHub Actions workflow layer: entry points a runner calls, reading its environment.

``runner`` turns the runner's environment into a typed context and writes outputs and the
step summary; ``comment`` keeps the one PR comment; ``pr``, ``merge`` and ``intake`` are the
entry points of ``toyfoundry ci pr|merge|intake``.
"""
