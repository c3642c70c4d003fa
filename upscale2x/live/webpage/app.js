// Learning to See in the browser: camera -> 256x256 RGBA -> LiteRT.js (the whole frame function: grayscale,
// 24x area down, cubic up, generator) -> RGBA. No per-pixel work in JavaScript: canvases in, canvases out.
import { loadLiteRt, loadAndCompile, Tensor, isWebGPUSupported } from './vendor/litert/index.js';

const S = 256;
const $ = (id) => document.getElementById(id);
const inputCtx = $('input').getContext('2d', { willReadFrequently: true });
const outputCtx = $('output').getContext('2d');
const steps = [];
const state = { model: null, name: '', accelerator: 'wasm', frames: 0, step: 0, average: 0, fps: 0,
                error: null, running: false, lastInput: null, lastOutput: null };
window.upscale2x = state;  // the test hook: readout values and the last input / output frames

function message(text, error = false) {
  $('message').textContent = text;
  $('message').className = error ? 'error' : '';
  if (error) state.error = text;
}

function readout(ms) {
  steps.push(ms);
  if (steps.length > 30) steps.shift();
  state.step = ms;
  state.average = steps.reduce((a, b) => a + b, 0) / steps.length;
  state.fps = 1000 / state.average;
  $('readout').textContent =
    `Step ${ms.toFixed(1)} ms   Average ${state.average.toFixed(1)} ms   FPS ${state.fps.toFixed(1)}`;
}

async function useModel(source, name) {
  try {
    let compiled;
    try {
      compiled = await loadAndCompile(source, { accelerator: state.accelerator });
    } catch (e) {
      if (state.accelerator !== 'webgpu') throw e;
      state.accelerator = 'wasm';  // navigator.gpu without a usable adapter (headless, blocklisted GPU)
      compiled = await loadAndCompile(source, { accelerator: 'wasm' });
    }
    if (state.model) state.model.delete();
    state.model = compiled;
    state.name = name;
    steps.length = 0;
    message(state.accelerator === 'wasm' ? 'No WebGPU here: running on the CPU (WebAssembly).' : '');
  } catch (e) {
    message(`The model ${name} failed to load: ${e.message || e}`, true);
  }
}

async function step() {
  const video = $('video');
  if (state.model && video.readyState >= 2) {
    const vw = video.videoWidth, vh = video.videoHeight, side = Math.min(vw, vh);
    inputCtx.drawImage(video, (vw - side) / 2, (vh - side) / 2, side, side, 0, 0, S, S);  // centre square
    const pixels = inputCtx.getImageData(0, 0, S, S);
    const t0 = performance.now();
    const input = new Tensor(Float32Array.from(pixels.data), [1, S, S, 4]);
    try {
      const [out] = await state.model.run([input]);
      const host = await out.moveTo('wasm');
      const rgba = Uint8ClampedArray.from(host.toTypedArray());
      host.delete();
      readout(performance.now() - t0);
      outputCtx.putImageData(new ImageData(rgba, S, S), 0, 0);
      state.lastInput = pixels.data;
      state.lastOutput = rgba;
      state.frames += 1;
    } catch (e) {
      message(`The model failed to run: ${e.message || e}`, true);
      return;
    } finally {
      input.delete();
    }
  }
  requestAnimationFrame(step);
}

async function main() {
  let models;
  try {
    models = (await (await fetch('models.json')).json()).models;
  } catch (e) {
    message(`Cannot read models.json: ${e.message || e}`, true);
    return;
  }
  for (const m of models) $('model').add(new Option(`${m.name} (${(m.bytes / 1e6).toFixed(1)} MB)`, m.file));
  $('model').onchange = () => useModel($('model').value, $('model').selectedOptions[0].text);
  $('own').onchange = async () => {
    const file = $('own').files[0];
    if (file) await useModel(new Uint8Array(await file.arrayBuffer()), file.name);
  };
  try {
    await loadLiteRt('./vendor/litert/');
  } catch (e) {
    message(`LiteRT could not start in this browser: ${e.message || e}`, true);
    return;
  }
  state.accelerator = isWebGPUSupported() ? 'webgpu' : 'wasm';
  await useModel(models[0].file, models[0].name);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    message('No camera API in this browser (a page must come from https:// or localhost).', true);
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    $('video').srcObject = stream;
    await $('video').play();
  } catch (e) {
    message(`No camera: ${e.message || e.name || e}`, true);
    return;
  }
  state.running = true;
  requestAnimationFrame(step);
}

main();
