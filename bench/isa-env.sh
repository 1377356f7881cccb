# Sourced by the bench scripts: one instruction set for both sides. Sets the arrays baton_env (Baton, through the
# runtime's ISA switches) and reference_env (OpenBLAS's core through BATON_OPENBLAS_CORETYPE, which
# torch_reference.py turns into OPENBLAS_CORETYPE, and oneDNN's ISA cap) for native, avx512, avx2 or 128.
# .NET 10 ignores the older DOTNET_EnableAVX512F=0.
set_isa_env() {
  baton_env=()
  reference_env=()
  case "$1" in
    native) ;;
    avx512) reference_env=(BATON_OPENBLAS_CORETYPE=SkylakeX) ;;
    avx2) baton_env=(DOTNET_EnableAVX512=0)
          reference_env=(BATON_OPENBLAS_CORETYPE=Haswell ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2) ;;
    128) baton_env=(DOTNET_EnableAVX2=0)
         reference_env=(BATON_OPENBLAS_CORETYPE=Nehalem ONEDNN_MAX_CPU_ISA=SSE41 DNNL_MAX_CPU_ISA=SSE41) ;;
    *) echo "$(basename "$0"): --isa takes native, avx512, avx2 or 128, not $1" >&2; exit 2 ;;
  esac
}
