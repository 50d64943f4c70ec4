"""The reads DLIO 3.0.2's s3dlio path makes in its DataLoader workers, without DLIO: WORKERS
fresh processes (spawn or fork), each reading its share of the objects under PREFIX with
``PyDataset.from_uris`` + ``PyBytesAsyncDataLoader(prefetch=64).items().collect_batch(4)``,
with the real s3dlio or mlstor's drop-in; prints wall time, the children's CPU and page faults.

    python bench/dlio/loader_replay.py s3dlio|mlstor s3://BUCKET/dlio-bench/unet3d/train/ [spawn|fork] [WORKERS]
"""
import multiprocessing as mp
import resource
import sys
import time


def lib_for(which):
    if which == "s3dlio":
        import s3dlio
        return s3dlio
    import mlstor.compat.s3dlio
    return mlstor.compat.s3dlio


def work(which, uris):
    lib = lib_for(which)
    it = lib.PyBytesAsyncDataLoader(lib.PyDataset.from_uris(uris), {"prefetch": 64, "skip_head": True}).items()
    while it.collect_batch(4):
        pass


def main():
    which, prefix = sys.argv[1], sys.argv[2]
    ctx = mp.get_context(sys.argv[3] if len(sys.argv) > 3 else "spawn")
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    import mlstor
    uris = sorted(m.uri for m in mlstor.list(prefix))
    for rep in range(3):
        t0 = time.time()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        ps = [ctx.Process(target=work, args=(which, uris[w::workers])) for w in range(workers)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"{which} {ctx.get_start_method()} {len(uris)} objects: {time.time() - t0:.2f} s, "
              f"user {r1.ru_utime - r0.ru_utime:.2f} sys {r1.ru_stime - r0.ru_stime:.2f} CPU-s, "
              f"{r1.ru_minflt - r0.ru_minflt} minor faults")


if __name__ == "__main__":
    main()
