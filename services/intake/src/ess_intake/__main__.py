"""`python -m ess_intake`: one pilot's intake service process (settings from ESS_* variables)."""

from ess_intake.bootstrap import service
from ess_shared.service.main import serve

if __name__ == "__main__":
    serve(service)
