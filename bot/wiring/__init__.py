"""The composition root: `root.build_deps(settings)` builds everything once; `deps.Deps` carries it.

The two live apart so that listeners and jobs can name `Deps` without importing the root (which
imports every layer to build it). Importing this package imports neither.
"""
