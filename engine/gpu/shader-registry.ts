/**
 * Registers every shared WGSL include (shaders/common/*.wgsl) with the loader, so shaders can
 * `#include "common/x.wgsl"`. Imported for its side effect by engine/kernels/context.ts.
 *
 * Extend: add one import and one `wgslRegister` line per new common file.
 */

import { wgslRegister } from './wgsl-loader.ts';
import reduce from '../../shaders/common/reduce.wgsl';
import actScale from '../../shaders/common/act-scale.wgsl';
import actQuantize from '../../shaders/common/act-quantize.wgsl';
import kvPage from '../../shaders/common/kv-page.wgsl';
import matvecQ8Units from '../../shaders/common/matvec-q8-units.wgsl';
import matvecRows from '../../shaders/common/matvec-rows.wgsl';
import decodeMerge from '../../shaders/common/decode-merge.wgsl';
import swiglu from '../../shaders/common/swiglu.wgsl';
import matmulStore from '../../shaders/common/matmul-store.wgsl';
import ropeRotate from '../../shaders/common/rope-rotate.wgsl';

wgslRegister('common/reduce.wgsl', reduce);
wgslRegister('common/act-scale.wgsl', actScale);
wgslRegister('common/act-quantize.wgsl', actQuantize);
wgslRegister('common/kv-page.wgsl', kvPage);
wgslRegister('common/matvec-q8-units.wgsl', matvecQ8Units);
wgslRegister('common/matvec-rows.wgsl', matvecRows);
wgslRegister('common/decode-merge.wgsl', decodeMerge);
wgslRegister('common/swiglu.wgsl', swiglu);
wgslRegister('common/matmul-store.wgsl', matmulStore);
wgslRegister('common/rope-rotate.wgsl', ropeRotate);
