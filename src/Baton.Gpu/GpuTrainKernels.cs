using ILGPU;
using ILGPU.Algorithms;

namespace Baton.Gpu;

/// <summary>The scalars of one Adam / AdamW update, computed on the host exactly as <c>Adam.Update</c> computes them.</summary>
internal readonly struct AdamCoefficients
{
    public AdamCoefficients(float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float negStepSize, float biasCorrection2Sqrt, float eps, float decay, float weightDecay,
        bool decoupled, bool amsgrad)
    {
        Beta1 = beta1;
        OneMinusBeta1 = oneMinusBeta1;
        Beta2 = beta2;
        OneMinusBeta2 = oneMinusBeta2;
        NegStepSize = negStepSize;
        BiasCorrection2Sqrt = biasCorrection2Sqrt;
        Eps = eps;
        Decay = decay;
        WeightDecay = weightDecay;
        Decoupled = decoupled ? 1 : 0;
        Amsgrad = amsgrad ? 1 : 0;
    }

    public float Beta1 { get; }
    public float OneMinusBeta1 { get; }
    public float Beta2 { get; }
    public float OneMinusBeta2 { get; }
    public float NegStepSize { get; }
    public float BiasCorrection2Sqrt { get; }
    public float Eps { get; }
    public float Decay { get; }
    public float WeightDecay { get; }
    public int Decoupled { get; }
    public int Amsgrad { get; }
}

/// <summary>
/// The training kernels of <see cref="GpuTrainer"/>: dense products, the embedding, the LSTM / GRU / Elman cells forward and
/// backward one time step at a time, cross-entropy, clipping and the optimizers. Tensors are row-major and time-major
/// (row r = t·B + b). Every reduction runs in a fixed order inside one thread, so results do not depend on the launch shape.
/// </summary>
internal static class GpuTrainKernels
{
    /// <summary>Gradient elements summed by one thread of <see cref="SquaresPartial"/>.</summary>
    public const int NormChunk = 1024;

    private static float Sigmoid(float x) => 1f / (1f + XMath.Exp(-x));

    /// <summary>
    /// c[i·n + j] = (accumulate ? c[i·n + j] : 0) + Σ_{p&lt;k} a[i·aRow + p·aCol] · b[p·bRow + j·bCol] (index: m·n).
    /// The strides give every product the trainer needs: A Wᵀ (bRow = 1, bCol = k), A W, and Aᵀ B (aRow = 1, aCol = m).
    /// </summary>
    public static void MatMul(Index1D index, ArrayView<float> a, int aRow, int aCol, ArrayView<float> b, int bRow, int bCol,
        ArrayView<float> c, int n, int k, int accumulate)
    {
        int i = index / n, j = index % n;
        float sum = 0f;
        for (int p = 0; p < k; p++)
            sum += a[(long)i * aRow + (long)p * aCol] * b[(long)p * bRow + (long)j * bCol];
        c[index] = accumulate != 0 ? c[index] + sum : sum;
    }

    /// <summary>c[i·n + j] = bias[j] + Σ_{p&lt;k} a[i·k + p] · w[j·k + p] (A Wᵀ + b, W as PyTorch stores it: [n, k]; index: m·n).</summary>
    public static void Linear(Index1D index, ArrayView<float> a, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> c, int n, int k)
    {
        int i = index / n, j = index % n;
        float sum = 0f;
        for (int p = 0; p < k; p++)
            sum += a[(long)i * k + p] * w[(long)j * k + p];
        c[index] = bias[j] + sum;
    }

    /// <summary>db[j] += Σ_{r&lt;rows} d[r·n + j] (the bias gradient; index: n).</summary>
    public static void ColumnSum(Index1D index, ArrayView<float> d, ArrayView<float> db, int n, int rows)
    {
        float sum = 0f;
        for (int r = 0; r < rows; r++)
            sum += d[(long)r * n + index];
        db[index] += sum;
    }

    /// <summary>x[r·E + e] = table[ids[r]·E + e] (index: rows·E).</summary>
    public static void EmbeddingForward(Index1D index, ArrayView<int> ids, ArrayView<float> table, ArrayView<float> x, int E)
    {
        int r = index / E, e = index % E;
        x[index] = table[(long)ids[r] * E + e];
    }

    /// <summary>dTable[ids[r]·E + e] += dx[r·E + e] for every row r in order (index: E; one column per thread, no races).</summary>
    public static void EmbeddingBackward(Index1D index, ArrayView<int> ids, ArrayView<float> dx, ArrayView<float> dTable, int E, int rows)
    {
        for (int r = 0; r < rows; r++)
            dTable[(long)ids[r] * E + index] += dx[(long)r * E + index];
    }

    /// <summary>
    /// One LSTM step t (index: B·H; gx, gh, act [B, 4H]; hPrev, cPrev, c, h [B, H]): i = σ(gx_i + gh_i), f = σ(·), g = tanh(·),
    /// o = σ(·); c = f·c_prev + i·g; h = o·tanh(c). act keeps (i, f, g, o) for the backward step. A stream past its length
    /// (t ≥ lengths[b]) holds its state: c = c_prev, h = h_prev.
    /// </summary>
    public static void LstmForward(Index1D index, ArrayView<float> gx, ArrayView<float> gh, ArrayView<float> hPrev, ArrayView<float> cPrev,
        ArrayView<float> c, ArrayView<float> h, ArrayView<float> act, ArrayView<int> lengths, int t, int H)
    {
        int b = index / H, j = index % H;
        if (t >= lengths[b])
        {
            c[index] = cPrev[index];
            h[index] = hPrev[index];
            return;
        }
        long g = (long)b * 4 * H + j;
        float i = Sigmoid(gx[g] + gh[g]);
        float f = Sigmoid(gx[g + H] + gh[g + H]);
        float gg = XMath.Tanh(gx[g + 2 * H] + gh[g + 2 * H]);
        float o = Sigmoid(gx[g + 3 * H] + gh[g + 3 * H]);
        float cc = f * cPrev[index] + i * gg;
        c[index] = cc;
        h[index] = o * XMath.Tanh(cc);
        act[g] = i;
        act[g + H] = f;
        act[g + 2 * H] = gg;
        act[g + 3 * H] = o;
    }

    /// <summary>
    /// The LSTM step's backward (index: B·H): dh = dy + dhNext, dc = dh·o·(1 − tanh²c) + dcNext; the pre-activation gradients
    /// (dc·g·i(1−i), dc·c_prev·f(1−f), dc·i·(1−g²), dh·tanh c·o(1−o)) into dGates [B, 4H]; dcNext ← dc·f; dhNext ← 0
    /// (the caller then adds dGates W_hh). Past the stream's length (t ≥ lengths[b]) the step held the state: dGates ← 0,
    /// dhNext ← dh, dcNext unchanged.
    /// </summary>
    public static void LstmBackward(Index1D index, ArrayView<float> act, ArrayView<float> cPrev, ArrayView<float> c, ArrayView<float> dy,
        ArrayView<float> dhNext, ArrayView<float> dcNext, ArrayView<float> dGates, ArrayView<int> lengths, int t, int H)
    {
        int b = index / H, j = index % H;
        long g = (long)b * 4 * H + j;
        float dh = dy[index] + dhNext[index];
        if (t >= lengths[b])
        {
            dGates[g] = 0f;
            dGates[g + H] = 0f;
            dGates[g + 2 * H] = 0f;
            dGates[g + 3 * H] = 0f;
            dhNext[index] = dh;
            return;
        }
        float i = act[g], f = act[g + H], gg = act[g + 2 * H], o = act[g + 3 * H];
        float tc = XMath.Tanh(c[index]);
        float dc = dh * o * (1f - tc * tc) + dcNext[index];
        dGates[g] = dc * gg * i * (1f - i);
        dGates[g + H] = dc * cPrev[index] * f * (1f - f);
        dGates[g + 2 * H] = dc * i * (1f - gg * gg);
        dGates[g + 3 * H] = dh * tc * o * (1f - o);
        dcNext[index] = dc * f;
        dhNext[index] = 0f;
    }

    /// <summary>
    /// One GRU step t (index: B·H; gx, gh [B, 3H] with gh = W_hh h + b_hh; act [B, 4H]): r = σ(gx_r + gh_r), z = σ(gx_z + gh_z),
    /// n = tanh(gx_n + r·gh_n), h = (1 − z)·n + z·h_prev. act keeps (r, z, n, gh_n). Past the stream's length (t ≥ lengths[b]):
    /// h = h_prev.
    /// </summary>
    public static void GruForward(Index1D index, ArrayView<float> gx, ArrayView<float> gh, ArrayView<float> hPrev, ArrayView<float> h,
        ArrayView<float> act, ArrayView<int> lengths, int t, int H)
    {
        int b = index / H, j = index % H;
        if (t >= lengths[b])
        {
            h[index] = hPrev[index];
            return;
        }
        long g = (long)b * 3 * H + j;
        long a = (long)b * 4 * H + j;
        float r = Sigmoid(gx[g] + gh[g]);
        float z = Sigmoid(gx[g + H] + gh[g + H]);
        float ghn = gh[g + 2 * H];
        float n = XMath.Tanh(gx[g + 2 * H] + r * ghn);
        h[index] = (1f - z) * n + z * hPrev[index];
        act[a] = r;
        act[a + H] = z;
        act[a + 2 * H] = n;
        act[a + 3 * H] = ghn;
    }

    /// <summary>
    /// The GRU step's backward (index: B·H): dh = dy + dhNext; dn̂ = dh(1 − z)(1 − n²), dẑ = dh(h_prev − n)z(1 − z),
    /// dr̂ = dn̂·gh_n·r(1 − r); dGx = (dr̂, dẑ, dn̂), dGh = (dr̂, dẑ, dn̂·r) [B, 3H]; dhNext ← dh·z (the caller then adds dGh W_hh).
    /// Past the stream's length (t ≥ lengths[b]): dGx = dGh = 0, dhNext ← dh.
    /// </summary>
    public static void GruBackward(Index1D index, ArrayView<float> act, ArrayView<float> hPrev, ArrayView<float> dy, ArrayView<float> dhNext,
        ArrayView<float> dGx, ArrayView<float> dGh, ArrayView<int> lengths, int t, int H)
    {
        int b = index / H, j = index % H;
        long g = (long)b * 3 * H + j;
        float dh = dy[index] + dhNext[index];
        if (t >= lengths[b])
        {
            for (int k = 0; k < 3; k++)
            {
                dGx[g + k * H] = 0f;
                dGh[g + k * H] = 0f;
            }
            dhNext[index] = dh;
            return;
        }
        long a = (long)b * 4 * H + j;
        float r = act[a], z = act[a + H], n = act[a + 2 * H], ghn = act[a + 3 * H];
        float dn = dh * (1f - z) * (1f - n * n);
        float dz = dh * (hPrev[index] - n) * z * (1f - z);
        float dr = dn * ghn * r * (1f - r);
        dGx[g] = dr;
        dGx[g + H] = dz;
        dGx[g + 2 * H] = dn;
        dGh[g] = dr;
        dGh[g + H] = dz;
        dGh[g + 2 * H] = dn * r;
        dhNext[index] = dh * z;
    }

    /// <summary>
    /// One Elman step t (index: B·H; gx, gh, hPrev, h [B, H]): h = tanh(gx + gh), or max(gx + gh, 0) when relu ≠ 0; past the
    /// stream's length (t ≥ lengths[b]) h = h_prev.
    /// </summary>
    public static void RnnForward(Index1D index, ArrayView<float> gx, ArrayView<float> gh, ArrayView<float> hPrev, ArrayView<float> h,
        ArrayView<int> lengths, int t, int H, int relu)
    {
        if (t >= lengths[index / H])
        {
            h[index] = hPrev[index];
            return;
        }
        float a = gx[index] + gh[index];
        h[index] = relu != 0 ? XMath.Max(a, 0f) : XMath.Tanh(a);
    }

    /// <summary>
    /// The Elman step's backward (index: B·H): dh = dy + dhNext; dGates = dh(1 − h²), or dh·[h &gt; 0] for relu; dhNext ← 0.
    /// Past the stream's length (t ≥ lengths[b]): dGates = 0, dhNext ← dh.
    /// </summary>
    public static void RnnBackward(Index1D index, ArrayView<float> h, ArrayView<float> dy, ArrayView<float> dhNext, ArrayView<float> dGates,
        ArrayView<int> lengths, int t, int H, int relu)
    {
        float dh = dy[index] + dhNext[index];
        if (t >= lengths[index / H])
        {
            dGates[index] = 0f;
            dhNext[index] = dh;
            return;
        }
        float value = h[index];
        dGates[index] = relu != 0 ? (value > 0f ? dh : 0f) : dh * (1f - value * value);
        dhNext[index] = 0f;
    }

    /// <summary>minGRU's candidate activation g(x) = x + 0.5 for x ≥ 0, σ(x) below (continuous at 0).</summary>
    private static float Candidate(float x) => x >= 0f ? x + 0.5f : Sigmoid(x);

    /// <summary>
    /// minGRU's scan coefficients (index: rows·H; pre [rows, 2H] = [k, u] = x Wᵀ + b, a and b [rows, H]): z = σ(u), a = 1 − z,
    /// b = z·g(k), so that h_t = a_t h_{t−1} + b_t.
    /// </summary>
    public static void MinGruCoefficients(Index1D index, ArrayView<float> pre, ArrayView<float> a, ArrayView<float> b, int H)
    {
        int r = index / H, j = index % H;
        long at = (long)r * 2 * H + j;
        float z = Sigmoid(pre[at + H]);
        a[index] = 1f - z;
        b[index] = z * Candidate(pre[at]);
    }

    /// <summary>
    /// minGRU's step backward (index: rows·H; pre, dPre [rows, 2H]; hPrev, g [rows, H] with g = ∂L/∂h_t from the reverse scan):
    /// ∂L/∂k = g·z·g'(k) with g'(k) = 1 for k ≥ 0, σ(k)(1 − σ(k)) below; ∂L/∂u = g·z(1 − z)·(g(k) − h_{t−1}).
    /// </summary>
    public static void MinGruBackward(Index1D index, ArrayView<float> pre, ArrayView<float> hPrev, ArrayView<float> g, ArrayView<float> dPre, int H)
    {
        int r = index / H, j = index % H;
        long at = (long)r * 2 * H + j;
        float k = pre[at];
        float z = Sigmoid(pre[at + H]);
        float s = Sigmoid(k);
        float candidate = k >= 0f ? k + 0.5f : s;
        float slope = k >= 0f ? 1f : s * (1f - s);
        float gz = g[index] * z;
        dPre[at] = gz * slope;
        dPre[at + H] = gz * (1f - z) * (candidate - hPrev[index]);
    }

    /// <summary>
    /// Cross-entropy of each row (index: rows; logits, dLogits [rows, V]; weights [V]): loss[r] = max + ln Σ_v e^{x_v − max} − x_y
    /// (unweighted) and dLogits = (softmax(x) − onehot(y))·scale·w[y]; the caller passes scale = 1 / (counted rows), and all-ones
    /// weights but for a class-weighted loss. Rows whose target is <paramref name="ignore"/> get loss 0 and a zero gradient.
    /// </summary>
    public static void CrossEntropy(Index1D index, ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> weights, ArrayView<float> dLogits,
        ArrayView<float> loss, int V, int ignore, float scale)
    {
        long at = (long)(int)index * V;
        int y = targets[index];
        if (y == ignore)
        {
            for (int v = 0; v < V; v++)
                dLogits[at + v] = 0f;
            loss[index] = 0f;
            return;
        }
        float max = logits[at];
        for (int v = 1; v < V; v++)
            max = XMath.Max(max, logits[at + v]);
        float z = 0f;
        for (int v = 0; v < V; v++)
            z += XMath.Exp(logits[at + v] - max);
        loss[index] = max + XMath.Log(z) - logits[at + y];
        float rowScale = scale * weights[y];
        float factor = rowScale / z;
        for (int v = 0; v < V; v++)
            dLogits[at + v] = XMath.Exp(logits[at + v] - max) * factor;
        dLogits[at + y] -= rowScale;
    }

    /// <summary>
    /// The mean-square error's gradient (index: elements; prediction, target, dPrediction, difference [n]): d = p − t,
    /// difference = d (the host sums d² in float64), dPrediction = scale·d with scale = 2 / n.
    /// </summary>
    public static void MeanSquareError(Index1D index, ArrayView<float> prediction, ArrayView<float> target, ArrayView<float> dPrediction,
        ArrayView<float> difference, float scale)
    {
        float d = prediction[index] - target[index];
        difference[index] = d;
        dPrediction[index] = scale * d;
    }

    /// <summary>dy = y · scale (index: elements): the gradient of mean(y²) with scale = 2 / (elements).</summary>
    public static void MeanSquareGradient(Index1D index, ArrayView<float> y, ArrayView<float> dy, float scale) => dy[index] = y[index] * scale;

    /// <summary>partial[c] = Σ g_i² in float64 over i in chunk c of <see cref="NormChunk"/> elements, in order (index: chunks).</summary>
    public static void SquaresPartial(Index1D index, ArrayView<float> g, ArrayView<double> partial, int length)
    {
        long start = (long)(int)index * NormChunk;
        long end = XMath.Min(start + NormChunk, (long)length);
        double sum = 0;
        for (long i = start; i < end; i++)
            sum += (double)g[i] * g[i];
        partial[index] = sum;
    }

    /// <summary>target[i] = source[i] (index: elements).</summary>
    public static void Copy(Index1D index, ArrayView<float> source, ArrayView<float> target) => target[index] = source[index];

    /// <summary>g *= factor (index: parameters).</summary>
    public static void Scale(Index1D index, ArrayView<float> g, float factor) => g[index] *= factor;

    /// <summary>g = clamp(g, −clip, clip) (index: parameters).</summary>
    public static void Clamp(Index1D index, ArrayView<float> g, float clip) => g[index] = XMath.Clamp(g[index], -clip, clip);

    /// <summary>
    /// One Adam / AdamW update (index: parameters), as <c>Adam.Update</c>: AdamW p ·= 1 − lr·wd, Adam g += wd·p;
    /// m = β₁m + (1 − β₁)g; v = β₂v + (1 − β₂)g² (amsgrad: v = vmax = max(vmax, v)); p += −lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
    /// </summary>
    public static void Adam(Index1D index, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, ArrayView<float> vMax,
        AdamCoefficients k)
    {
        float g = grad[index];
        if (k.Decoupled != 0)
            p[index] *= k.Decay;
        else if (k.WeightDecay != 0f)
            g += k.WeightDecay * p[index];
        float mean = m[index] * k.Beta1 + k.OneMinusBeta1 * g;
        m[index] = mean;
        float square = v[index] * k.Beta2 + k.OneMinusBeta2 * (g * g);
        v[index] = square;
        if (k.Amsgrad != 0)
        {
            square = XMath.Max(vMax[index], square);
            vMax[index] = square;
        }
        float denominator = XMath.Sqrt(square) / k.BiasCorrection2Sqrt + k.Eps;
        p[index] += k.NegStepSize * (mean / denominator);
    }

    /// <summary>
    /// One SGD update (index: parameters), as <c>Sgd.Update</c>: g += wd·p; with momentum μ: buf = first ? g : μ·buf + (1 − dampening)·g,
    /// g = nesterov ? g + μ·buf : buf; p += −lr·g.
    /// </summary>
    public static void Sgd(Index1D index, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> buffer, float weightDecay, float mu,
        float oneMinusDampening, float negLr, int flags)
    {
        bool momentum = (flags & 1) != 0, nesterov = (flags & 2) != 0, first = (flags & 4) != 0;
        float g = weightDecay != 0f ? grad[index] + weightDecay * p[index] : grad[index];
        if (momentum)
        {
            float buf = first ? g : buffer[index] * mu + oneMinusDampening * g;
            buffer[index] = buf;
            g = nesterov ? g + mu * buf : buf;
        }
        p[index] += negLr * g;
    }
}
