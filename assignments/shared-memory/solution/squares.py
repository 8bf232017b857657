"""shared-memory reference: a multiprocessing.Array lives in a shared mapping."""

import multiprocessing

WORKERS = 4


def worker(i, squares) -> None:
    squares[i] = i * i


def main() -> None:
    squares = multiprocessing.Array("i", WORKERS)
    procs = [multiprocessing.Process(target=worker, args=(i, squares)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    values = list(squares)
    print(f"squares={values}", flush=True)
    print(f"sum={sum(values)}", flush=True)


if __name__ == "__main__":
    main()
