"""The one GitHub client: PyGithub built from the environment, retried, its failures explained.

``client`` says where tokens and the API URL come from and builds PyGithub; ``retry`` retries
what GitHub asks to be retried and says so; ``errors`` turns every PyGithub and ``requests``
failure into a ``ToyfoundryError`` with a hint; ``trees`` lists a tree even when GitHub cuts
the recursive listing short. Nothing else in the package constructs PyGithub.
"""
