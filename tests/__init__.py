"""The test suite.

Production-strength argon2id costs about 0.2 s per hash on a CI core, and the suite signs in
thousands of times. Tests hash and verify with argon2's cheapest parameters instead: the same
code path (hash, verify, rehash check) in a fraction of the time. It is set here, in the
package every test module is imported through, before any of them hashes a seed password at
import. Servers the tests start as processes (zero-setup, benchmark) keep the real cost.
"""

from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from backend.auth import passwords

passwords._hasher = PasswordHasher.from_parameters(CHEAPEST)
