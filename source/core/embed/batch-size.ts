/**
 * Images per inference batch. Measured with ViT-B/32 on 2 cores: 8, 16 and 32 run at the same images/s (8 x 50
 * tokens already fill the GEMM kernels), and each halving saves ~25-50 MB of activations and batch tensors.
 */
export const DEFAULT_BATCH_SIZE = 8;
