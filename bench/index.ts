// placeholder so the project compiles
export {};
