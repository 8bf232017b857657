# Ships sitecustomize.py, usercustomize.py, .pth files and modules named like the harness's,
# sets PYTHONPATH/PYTHONSTARTUP/PYTHONHOME-ish variables and re-executes itself with them.
# The harness must not be affected; what the program's own interpreter does is graded as its own.
import os, sys
if os.environ.get("HIJACK_STAGE") != "2":
    env = dict(os.environ, PYTHONPATH="/work/evil:/work", PYTHONSTARTUP="/work/evil/sitecustomize.py",
               PYTHONUSERBASE="/work/evil", HIJACK_STAGE="2", PYTHONINSPECT="")
    os.execve(sys.executable, [sys.executable, "main.py"], env)
print("stage 2 ran", flush=True)
