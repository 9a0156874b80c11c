"""From a clip and a model to an explanation: segments, the perturbation engine, LIME and SHAP,
faithfulness, sonification, pictures, and the pipeline that runs them for one job."""
