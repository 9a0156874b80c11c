// The page's entry: sets up each section and wires them; all talk to this server's /v1 API, nothing else.
import { showAle, setUpAle } from "./ale.js";
import { setUpCompare } from "./compare.js";
import {
  forgetExplanations, loadOptions, setUpExplain, useClip, useModelDefaults, useModels, usePrediction,
} from "./explain.js";
import { setUpMaps, showMaps } from "./maps.js";
import { loadModels } from "./models.js";
import { forgetPrediction, setUpPredict, useModel } from "./predict.js";

setUpPredict({ clip: useClip, prediction: usePrediction });
setUpExplain();
setUpCompare();
setUpAle();
setUpMaps();
await loadOptions();  // a model's defaults and checks mark the menus, so they must be filled first
loadModels({
  models: (all) => useModels(all.map((m) => m.name)),
  choice(model, changed) {
    useModel(model.name);
    useModelDefaults(model);
    showAle(model);
    showMaps(model.name);
    if (changed) {
      forgetPrediction();
      forgetExplanations();
    }
  },
});
