"""The SConstruct that `harness build` hands to SCons (`-f` this file, `-C` the project root).

SCons executes it as a build script, not as an import: all the work is in
harness.buildconf so that the repository's own SConstruct shares it.
"""

from harness.buildconf import sconstruct_main

sconstruct_main()
