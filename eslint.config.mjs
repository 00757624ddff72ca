// Lint: typescript-eslint (type-aware) plus Pulumi's rules against Outputs in template literals.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
    { ignores: ["node_modules/**", "dist/**", ".build/**", "coverage/**", "examples/**", "policy-pack/node_modules/**", "**/*.js", "**/*.mjs"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: {
            // One program for every file: tsconfig.json includes them all (policy-pack/ too). The project service
            // would also build policy-pack/tsconfig.json's program for the pack's files, about 5 s more per lint.
            parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // Mock and policy code handles provider payloads that are untyped by nature.
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-non-null-assertion": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            "@typescript-eslint/no-floating-promises": "error",
        },
    },
);
