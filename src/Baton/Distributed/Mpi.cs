using System.Runtime.InteropServices;

namespace Baton.Distributed;

/// <summary>
/// The handful of MPI calls data-parallel training needs, bound at run time to Open MPI's C library
/// (<c>libmpi.so.40</c>, Open MPI 4.x and 5.x; <c>BATON_MPI_LIBRARY</c> names another file). Open MPI's handles are
/// addresses of exported globals: <c>MPI_COMM_WORLD</c> = &amp;ompi_mpi_comm_world, <c>MPI_FLOAT</c> = &amp;ompi_mpi_float,
/// <c>MPI_DOUBLE</c> = &amp;ompi_mpi_double, <c>MPI_BYTE</c> = &amp;ompi_mpi_byte, <c>MPI_SUM</c> = &amp;ompi_mpi_op_sum,
/// and <c>MPI_IN_PLACE</c> = (void*)1. Nothing is loaded until <see cref="Init"/>. Every call checks its return code;
/// counts above 2³⁰ elements are sent in pieces because MPI counts are C ints.
/// </summary>
internal static unsafe class Mpi
{
    /// <summary>The library file tried when <c>BATON_MPI_LIBRARY</c> is not set.</summary>
    public const string DefaultLibrary = "libmpi.so.40";

    private const int ThreadSerialized = 2;      // MPI_THREAD_SERIALIZED in Open MPI's mpi.h
    private const int RtldNow = 2, RtldGlobal = 0x100;
    private const int Chunk = 1 << 30;
    private static readonly nint InPlace = 1;

    private static nint library;
    private static nint world, floatType, doubleType, byteType, sumOp;
    private static delegate* unmanaged<int*, nint, int, int*, int> initThread;
    private static delegate* unmanaged<int> finalize;
    private static delegate* unmanaged<int*, int> finalized;
    private static delegate* unmanaged<nint, int*, int> commRank;
    private static delegate* unmanaged<nint, int*, int> commSize;
    private static delegate* unmanaged<nint, nint, int, nint, nint, nint, int> allreduce;
    private static delegate* unmanaged<nint, int, nint, int, nint, int> bcast;
    private static delegate* unmanaged<nint, int> barrier;
    private static delegate* unmanaged<nint, int, int> abort;

    /// <summary>True once <see cref="Init"/> has succeeded.</summary>
    public static bool IsInitialized { get; private set; }

    /// <summary>This process's rank in MPI_COMM_WORLD.</summary>
    public static int Rank { get; private set; }

    /// <summary>The number of processes in MPI_COMM_WORLD.</summary>
    public static int Size { get; private set; }

    /// <summary>
    /// Loads the library with RTLD_GLOBAL (Open MPI's plugins resolve symbols against it), keeps Open MPI's signal
    /// handlers off SIGSEGV and friends (the .NET runtime turns SIGSEGV into NullReferenceException), calls
    /// <c>MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &amp;provided)</c> and reads rank and size.
    /// </summary>
    public static void Init()
    {
        if (IsInitialized)
            return;
        string name = Environment.GetEnvironmentVariable("BATON_MPI_LIBRARY") is { Length: > 0 } custom ? custom : DefaultLibrary;
        library = LoadGlobal(name);
        initThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export("MPI_Init_thread");
        finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)Export("MPI_Bcast");
        barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        world = Export("ompi_mpi_comm_world");
        floatType = Export("ompi_mpi_float");
        doubleType = Export("ompi_mpi_double");
        byteType = Export("ompi_mpi_byte");
        sumOp = Export("ompi_mpi_op_sum");

        SetEnvironmentIfUnset("OMPI_MCA_opal_signal", "");
        int provided;
        Check(initThread(null, 0, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized)
            throw new InvalidOperationException($"MPI provides thread level {provided}; Baton needs MPI_THREAD_SERIALIZED ({ThreadSerialized}).");
        int rank, size;
        Check(commRank(world, &rank), "MPI_Comm_rank");
        Check(commSize(world, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        IsInitialized = true;
    }

    /// <summary>MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD): every rank ends with the element-wise sum.</summary>
    public static void AllreduceSum(Span<double> values)
    {
        fixed (double* p = values)
        {
            for (int at = 0; at < values.Length; at += Chunk)
                Check(allreduce(InPlace, (nint)(p + at), Math.Min(Chunk, values.Length - at), doubleType, sumOp, world), "MPI_Allreduce");
        }
    }

    /// <summary>MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD).</summary>
    public static void AllreduceSum(Span<float> values)
    {
        fixed (float* p = values)
        {
            for (int at = 0; at < values.Length; at += Chunk)
                Check(allreduce(InPlace, (nint)(p + at), Math.Min(Chunk, values.Length - at), floatType, sumOp, world), "MPI_Allreduce");
        }
    }

    /// <summary>MPI_Bcast(values, n, MPI_FLOAT, root, MPI_COMM_WORLD): every rank ends with root's values.</summary>
    public static void Broadcast(Span<float> values, int root)
    {
        fixed (float* p = values)
        {
            for (int at = 0; at < values.Length; at += Chunk)
                Check(bcast((nint)(p + at), Math.Min(Chunk, values.Length - at), floatType, root, world), "MPI_Bcast");
        }
    }

    /// <summary>MPI_Bcast(values, n, MPI_DOUBLE, root, MPI_COMM_WORLD).</summary>
    public static void Broadcast(Span<double> values, int root)
    {
        fixed (double* p = values)
        {
            for (int at = 0; at < values.Length; at += Chunk)
                Check(bcast((nint)(p + at), Math.Min(Chunk, values.Length - at), doubleType, root, world), "MPI_Bcast");
        }
    }

    /// <summary>MPI_Bcast(bytes, n, MPI_BYTE, root, MPI_COMM_WORLD).</summary>
    public static void Broadcast(Span<byte> bytes, int root)
    {
        fixed (byte* p = bytes)
        {
            for (int at = 0; at < bytes.Length; at += Chunk)
                Check(bcast((nint)(p + at), Math.Min(Chunk, bytes.Length - at), byteType, root, world), "MPI_Bcast");
        }
    }

    /// <summary>MPI_Barrier(MPI_COMM_WORLD).</summary>
    public static void Barrier() => Check(barrier(world), "MPI_Barrier");

    /// <summary>MPI_Abort(MPI_COMM_WORLD, code): the launcher ends every rank of the job; does not return.</summary>
    public static void Abort(int code)
    {
        abort(world, code);
        Environment.Exit(code);
    }

    /// <summary>MPI_Finalize, once, if MPI was initialised and is not finalised yet.</summary>
    public static void Shutdown()
    {
        if (!IsInitialized)
            return;
        int done;
        Check(finalized(&done), "MPI_Finalized");
        if (done == 0)
            Check(finalize(), "MPI_Finalize");
    }

    private static nint Export(string symbol) =>
        NativeLibrary.TryGetExport(library, symbol, out nint address)
            ? address
            : throw new DllNotFoundException($"The MPI library has no symbol '{symbol}': Baton's binding needs Open MPI (libmpi.so.40).");

    private static nint LoadGlobal(string name)
    {
        nint libc = NativeLibrary.Load("libc.so.6");
        var dlopen = (delegate* unmanaged<byte*, int, nint>)NativeLibrary.GetExport(libc, "dlopen");
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(name + "\0");
        nint handle;
        fixed (byte* p = bytes)
            handle = dlopen(p, RtldNow | RtldGlobal);
        if (handle == 0)
            throw new DllNotFoundException(
                $"Cannot load the MPI library '{name}': install Open MPI (Debian: openmpi-bin libopenmpi-dev; tools/ci/install-mpi.sh) or set BATON_MPI_LIBRARY.");
        return handle;
    }

    // .NET keeps its own copy of the environment; Open MPI reads the C one.
    private static void SetEnvironmentIfUnset(string name, string value)
    {
        nint libc = NativeLibrary.Load("libc.so.6");
        var setenv = (delegate* unmanaged<byte*, byte*, int, int>)NativeLibrary.GetExport(libc, "setenv");
        byte[] n = System.Text.Encoding.UTF8.GetBytes(name + "\0"), v = System.Text.Encoding.UTF8.GetBytes(value + "\0");
        fixed (byte* pn = n)
        fixed (byte* pv = v)
            setenv(pn, pv, 0);
    }

    private static void Check(int code, string call)
    {
        if (code != 0)
            throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }
}
