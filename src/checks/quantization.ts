// Which quantization does the model use, and does it fit? Reads the GGUF header only (never the
// tensors) of `--model-file FILE` or of the file llama-server reports in /props, else the upstream's own
// report (llama.cpp `model_ftype` / `/v1/models` meta.ftype, Ollama `details.quantization_level`).
// Q4_K_M is the recommended balance; Q2/Q3 (and 1-bit) degrade code. Bytes per parameter come from
// the tensor types the GGUF header lists (F32 4, F16/BF16 2, quantized types by their block sizes);
// the memory need is compared with VRAM (`nvidia-smi`) and RAM.
import { fullPrecisionBytesPerParam, summarizeTensors, type TensorSummary } from '../system/ggml-types.js';
import { GgufError, type GgufHeader, ggufFileTypeName, readGgufHeader } from '../system/gguf.js';
import { pathApi } from './claude-env.js';
import { launchAddress, launchCommand, shellOf } from './fix-commands.js';
import type { Check, CheckContext, CheckOutcome } from './types.js';
import { discoverUpstream, type UpstreamInfo } from './upstream-info.js';
import { formatBytes, num, str } from './util.js';

export interface GpuInfo {
  name: string;
  totalBytes: number;
  freeBytes: number;
}

/** `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits` (MiB). */
export function parseNvidiaSmi(stdout: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length < 3) continue;
    const total = Number(parts[1]);
    const free = Number(parts[2]);
    if (!Number.isFinite(total) || !Number.isFinite(free)) continue;
    gpus.push({ name: parts[0]!, totalBytes: total * 1024 ** 2, freeBytes: free * 1024 ** 2 });
  }
  return gpus;
}

/** Normalises llama.cpp's names ("Q4_K - Medium", "all F32", "Q2_K - Small") and Ollama's ("Q4_K_M"). */
export function normalizeQuant(raw: string): string {
  const s = raw.trim().replace(/\s*\(guessed\)$/i, '');
  const k = s.match(/^(Q\d)_K\s*-\s*(Small|Medium|Large)$/i);
  if (k) {
    const size = k[2]!.toLowerCase();
    if (k[1]!.toUpperCase() === 'Q2' && size === 'medium') return 'Q2_K';
    return `${k[1]!.toUpperCase()}_K_${size[0]!.toUpperCase()}`;
  }
  const iq = s.match(/^((?:IQ|TQ)\d_[A-Z0-9]+)\s*-/i);
  if (iq) return iq[1]!.toUpperCase();
  if (/^all\s+F32$/i.test(s)) return 'F32';
  return s.toUpperCase().replace(/^MOSTLY_/, '');
}

export type QuantGrade = 'recommended' | 'good' | 'low' | 'full';

export function gradeQuant(q: string): QuantGrade {
  if (q === 'Q4_K_M') return 'recommended';
  if (/^(F32|F16|BF16|FP16|FP32)$/.test(q)) return 'full';
  if (/^(Q2|Q3|IQ1|IQ2|IQ3|TQ1|TQ2|Q1)/.test(q)) return 'low';
  return 'good';
}

interface ModelFacts {
  quant?: string;
  source: string;
  /** Bytes of weights (file size, all shards). */
  sizeBytes?: number;
  params?: number;
  file?: string;
  name?: string;
  ggufError?: string;
  /** From the GGUF tensor infos (of the first shard, for a split model). */
  tensors?: TensorSummary;
}

/** 4, 2, 0.56: bytes per parameter, at most two decimals. */
const formatBpp = (bpp: number) => String(Number(bpp.toFixed(2)));

/** "Q4_K 91%, Q6_K 6%, F32 3% of the parameters": the mix of tensor types, largest first. */
function describeTensorTypes(summary: TensorSummary): string {
  const parts = summary.types
    .slice(0, 5)
    .map((x) => `${x.name} ${Math.max(1, Math.round((100 * x.params) / summary.params))}%`);
  if (summary.types.length > 5) parts.push('…');
  return `${parts.join(', ')} of the parameters`;
}

/** `model-00001-of-00003.gguf` → every shard's path. */
function shardPaths(file: string): string[] {
  const m = file.match(/^(.*-)(\d{5})-of-(\d{5})(\.gguf)$/i);
  if (!m) return [file];
  const count = Number(m[3]);
  return Array.from(
    { length: count },
    (_, i) => `${m[1]}${String(i + 1).padStart(5, '0')}-of-${m[3]}${m[4]}`,
  );
}

async function fromGguf(ctx: CheckContext, file: string): Promise<ModelFacts> {
  const stat = await ctx.system.stat(file);
  if (!stat?.isFile)
    return {
      source: `GGUF file ${file}`,
      file,
      ggufError: 'file not found (or not readable) on this machine',
    };
  let header: GgufHeader;
  try {
    header = await readGgufHeader((offset, length) => ctx.system.readBytes(file, offset, length), {
      tensors: true,
    });
  } catch (err) {
    return {
      source: `GGUF file ${file}`,
      file,
      ggufError: err instanceof GgufError ? err.message : String(err),
    };
  }
  const meta = header.metadata;
  const fileType = num(meta['general.file_type']);
  let sizeBytes = stat.size;
  const shards = shardPaths(file);
  if (shards.length > 1) {
    const sizes = await Promise.all(shards.map((s) => ctx.system.stat(s)));
    sizeBytes = sizes.reduce((sum, s) => sum + (s?.size ?? 0), 0);
  }
  const arch = str(meta['general.architecture']);
  return {
    quant: fileType !== undefined ? ggufFileTypeName(fileType) : undefined,
    source: `GGUF header of ${pathApi(ctx).basename(file)} (general.file_type${fileType !== undefined ? ` = ${fileType}` : ' missing'})`,
    sizeBytes,
    file,
    name: str(meta['general.name']) ?? arch,
    ...(header.tensors?.length ? { tensors: summarizeTensors(header.tensors) } : {}),
  };
}

/**
 * The model's facts: from the GGUF header (`--model-file`, or the file llama-server reports), else
 * from the upstream's own report. An outcome instead when there is nothing to grade.
 */
async function findModelFacts(
  ctx: CheckContext,
  info: UpstreamInfo,
  details: string[],
): Promise<{ facts: ModelFacts & { quant: string } } | { outcome: CheckOutcome }> {
  let facts: ModelFacts | undefined;
  const file = ctx.modelFile ?? (info.kind === 'llama.cpp' ? info.llama?.modelPath : undefined);
  if (file) {
    facts = await fromGguf(ctx, file);
    if (facts.ggufError) {
      details.push(`${file}: ${facts.ggufError}`);
      if (ctx.modelFile) {
        return {
          outcome: {
            status: 'fail',
            summary: `cannot read the GGUF header of ${file}: ${facts.ggufError}`,
            details,
            data: { file },
            fix: {
              description: 'pass the path of a .gguf model file (the first shard of a split model)',
              commands: ['dsb doctor quantization --model-file /path/to/model-Q4_K_M.gguf'],
            },
          },
        };
      }
      facts = undefined;
    }
  }
  if (!facts?.quant && info.kind === 'llama.cpp' && info.llama?.ftype) {
    facts = {
      quant: normalizeQuant(info.llama.ftype),
      source: `llama.cpp model_ftype "${info.llama.ftype}"`,
      sizeBytes: info.llama.sizeBytes,
      params: info.llama.nParams,
      name: info.model,
    };
  }
  if (!facts?.quant && info.kind === 'ollama' && info.ollama?.quantization) {
    facts = {
      quant: normalizeQuant(info.ollama.quantization),
      source: 'Ollama details.quantization_level',
      sizeBytes: info.ollama.sizeBytes,
      name: info.model,
    };
  }
  if (facts?.quant) return { facts: { ...facts, quant: facts.quant } };
  const why = !info.reachable ? 'the upstream does not answer' : `${info.kind} does not report it`;
  return {
    outcome: {
      status: 'skip',
      summary: `no model to inspect (${why}; pass --model-file FILE.gguf to read a GGUF header)`,
      details,
      data: { reachable: info.reachable },
    },
  };
}

interface MemoryFacts {
  gpus: GpuInfo[];
  vram: number;
  ram: number;
  bytesPerParam?: number;
  /** Bytes the weights need (+10% for buffers), when the size or the parameter count is known. */
  need?: number;
}

/** Memory: weights ≈ file size (+ KV cache and buffers); compared with VRAM (`nvidia-smi`) and RAM. */
async function memoryFacts(
  ctx: CheckContext,
  facts: ModelFacts & { quant: string },
  details: string[],
  data: Record<string, unknown>,
): Promise<MemoryFacts> {
  const smi = await ctx.system.exec(
    'nvidia-smi',
    ['--query-gpu=name,memory.total,memory.free', '--format=csv,noheader,nounits'],
    { timeoutMs: 5_000 },
  );
  const gpus = smi.exitCode === 0 ? parseNvidiaSmi(smi.stdout) : [];
  const vram = gpus.reduce((s, g) => s + g.totalBytes, 0);
  const ram = ctx.system.memory().total;
  data.gpus = gpus;
  data.vramBytes = vram;
  data.ramBytes = ram;
  for (const g of gpus)
    details.push(`GPU ${g.name}: ${formatBytes(g.totalBytes)} (${formatBytes(g.freeBytes)} free)`);
  if (!gpus.length)
    details.push(
      ctx.system.platform === 'darwin'
        ? 'no NVIDIA GPU (Apple silicon shares RAM with the GPU)'
        : 'no NVIDIA GPU found (nvidia-smi)',
    );
  details.push(`RAM: ${formatBytes(ram)}`);
  const bytesPerParam = facts.tensors?.bytesPerParam ?? fullPrecisionBytesPerParam(facts.quant);
  if (facts.tensors?.bytesPerParam !== undefined) {
    details.push(
      `${formatBpp(facts.tensors.bytesPerParam)} bytes per parameter (${formatBpp(facts.tensors.bytesPerParam * 8)} bits), from the tensor types: ${describeTensorTypes(facts.tensors)}`,
    );
    data.tensorTypes = facts.tensors.types;
  }
  if (bytesPerParam !== undefined) data.bytesPerParam = bytesPerParam;
  const need = facts.sizeBytes
    ? facts.sizeBytes * 1.1
    : facts.params && bytesPerParam
      ? facts.params * bytesPerParam * 1.1
      : undefined;
  if (need) {
    details.push(`needs about ${formatBytes(need)} for the weights (plus the KV cache for the context)`);
    data.needBytes = Math.round(need);
  }
  return { gpus, vram, ram, bytesPerParam, need };
}

/** The verdict: does it fit at all, is the quantization too low, does it fit in VRAM, full precision? */
function gradeOutcome(
  ctx: CheckContext,
  quant: string,
  memory: MemoryFacts,
  details: string[],
  data: Record<string, unknown>,
): CheckOutcome {
  const { gpus, vram, ram, bytesPerParam, need } = memory;
  const grade = gradeQuant(quant);
  const q4Fix = {
    description: 'use a Q4_K_M GGUF of the model: the recommended balance of quality and memory for code',
    commands: [
      launchCommand({ kind: 'llama.cpp', ...launchAddress(ctx), model: 'MODEL-Q4_K_M.gguf' }, shellOf(ctx)),
    ],
  };
  if (need && need > vram + ram) {
    return {
      status: 'fail',
      summary: `${quant} needs about ${formatBytes(need)}, more than VRAM + RAM (${formatBytes(vram + ram)})`,
      details,
      data,
      fix: q4Fix,
    };
  }
  if (grade === 'low') {
    return {
      status: 'warn',
      summary: `${quant}: 2–3-bit quantizations noticeably degrade code quality`,
      details,
      data,
      fix: q4Fix,
    };
  }
  const unified = ctx.system.platform === 'darwin' && !gpus.length;
  if (need && gpus.length && need > vram) {
    return {
      status: 'warn',
      summary: `${quant} (${formatBytes(need)}) does not fit in VRAM (${formatBytes(vram)}): layers run on the CPU, slowly`,
      details,
      data,
      fix:
        grade === 'full'
          ? q4Fix
          : {
              description:
                'offload fewer layers (-ngl) or use a smaller quantization; MoE models can keep experts on the CPU',
              commands: [],
            },
    };
  }
  if (grade === 'full') {
    return {
      status: need || unified ? 'pass' : 'warn',
      summary: `${quant}: full precision${bytesPerParam ? `, ${formatBpp(bytesPerParam)} bytes per parameter` : ''}${need ? ` (${formatBytes(need)}) fits` : ''}`,
      details,
      data,
      ...(need ? {} : { fix: q4Fix }),
    };
  }
  return {
    status: 'pass',
    summary: grade === 'recommended' ? `${quant} (recommended)` : `${quant}`,
    details,
    data,
  };
}

export const quantizationCheck: Check = {
  id: 'quantization',
  title: 'Model quantization and memory',
  required: false,
  description:
    'GGUF header of the model file, or the upstream’s ftype / quantization_level: Q4_K_M recommended, Q2/Q3 warned, F16 memory need vs VRAM and RAM.',
  dependsOn: ['upstream-openai'],
  timeoutMs: 15_000,
  async run(ctx): Promise<CheckOutcome> {
    const info = await discoverUpstream(ctx);
    const details: string[] = [];
    const found = await findModelFacts(ctx, info, details);
    if ('outcome' in found) return found.outcome;
    const { facts } = found;
    const quant = facts.quant;
    details.push(`${quant} (from ${facts.source})${facts.name ? `, model ${facts.name}` : ''}`);
    const data: Record<string, unknown> = {
      quantization: quant,
      grade: gradeQuant(quant),
      source: facts.source,
      sizeBytes: facts.sizeBytes ?? null,
      file: facts.file ?? null,
    };
    const memory = await memoryFacts(ctx, facts, details, data);
    return gradeOutcome(ctx, quant, memory, details, data);
  },
};
