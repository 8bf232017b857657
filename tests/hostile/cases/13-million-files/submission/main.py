# A million empty files: the tmpfs inode/size limit or the timeout must stop it.
import errno, os
made = 0
try:
    for i in range(10**6):
        os.close(os.open(f"/work/f{i}", os.O_CREAT | os.O_WRONLY, 0o644))
        made += 1
    print("MILLION FILES MADE", flush=True)
except OSError as exc:
    print("stopped after", made, errno.errorcode.get(exc.errno), flush=True)
